import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { Platform, waitFor } from '@mediamagic/testing';
import { call } from './support/http';
import { storedMessages } from './support/streams';

const PASSWORD = 'correct horse battery';

/**
 * The platform from the outside, as a client and a mailbox see it: five processes, a real
 * nats-server, a real SMTP server and a database per service.
 */
describe('the platform, end to end', () => {
  let platform: Platform;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(platform.baseUrl, method, path, options);
  const mailTo = (address: string) => platform.smtp.to(address);
  const awaitMail = (address: string, subject: RegExp) =>
    waitFor(() => mailTo(address).find((mail) => subject.test(mail.subject ?? '')), {
      timeoutMs: 20_000,
      message: `an email to ${address} matching ${subject}`,
    });
  const login = async (email: string) => {
    const answer = await api('POST', '/auth/login', { json: { email, password: PASSWORD } });
    expect(answer.status).toBe(200);
    return answer.body.accessToken as string;
  };

  beforeAll(async () => {
    platform = await Platform.start({ provisioningDelayMs: 1_500 });
  });
  afterAll(async () => {
    // Every service stops cleanly on SIGTERM.
    const codes = await platform?.stop();
    expect(codes).toEqual({ gateway: 0, 'user-service': 0, 'deployment-service': 0, 'email-service': 0, 'analytics-service': 0 });
  });

  it('register, verify by email, log in, deploy, get notified, and analytics counts exactly that', async () => {
    // Register: 201, unverified, and the verification email arrives with a link to the gateway.
    const registered = await api('POST', '/users', { json: { email: 'ada@example.com', name: 'Ada', password: PASSWORD } });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(String), email: 'ada@example.com', name: 'Ada', emailVerified: false, createdAt: expect.any(String) });
    expect(JSON.stringify(registered.body)).not.toContain(PASSWORD);
    const verification = await awaitMail('ada@example.com', /verify/i);
    const link = verification.text?.match(new RegExp(`${platform.baseUrl}/verify\\?token=[\\w-]+`))?.[0];
    expect(link, `the link in:\n${verification.text}`).toBeDefined();
    const token = new URL(link!).searchParams.get('token')!;

    // The USER stream, kept for days and readable by other services, holds the registration but no way to verify it.
    const stored = (await storedMessages(platform.nats.url, 'USER')).join('\n');
    expect(stored).toContain(registered.body.id);
    for (const secret of [token, createHash('sha256').update(token).digest('hex'), 'verify?token=']) expect(stored).not.toContain(secret);

    // The same email again is a conflict.
    expect((await api('POST', '/users', { json: { email: 'ADA@example.com', name: 'Ada 2', password: PASSWORD } })).status).toBe(409);

    // Deploying before verifying is forbidden.
    const early = await login('ada@example.com');
    expect((await api('POST', '/deployments', { token: early, json: { name: 'chat', model: 'llama-3' } })).status).toBe(403);

    // Following the link verifies: a page that says so; the link works once.
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/verified/i);
    const again = await api('POST', '/users/verify', { json: { token } });
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/already used/i);

    // Log in and see yourself verified.
    const ada = await login('ada@example.com');
    const me = await api('GET', '/users/me', { token: ada });
    expect(me.body).toMatchObject({ id: registered.body.id, emailVerified: true });

    // Create a deployment with an Idempotency-Key; the repeat answers the same and creates nothing.
    const headers = { 'idempotency-key': 'create-chat-1' };
    const created = await api('POST', '/deployments', { token: ada, headers, json: { name: 'chat', model: 'llama-3', replicas: 2 } });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ name: 'chat', model: 'llama-3', replicas: 2, status: 'pending', ownerId: registered.body.id });
    const repeat = await api('POST', '/deployments', { token: ada, headers, json: { name: 'chat', model: 'llama-3', replicas: 2 } });
    expect(repeat.status).toBe(202);
    expect(repeat.body.id).toBe(created.body.id);

    // The owner is told it was created, then that it runs.
    const id = created.body.id as string;
    await awaitMail('ada@example.com', /chat is being provisioned/i);
    await awaitMail('ada@example.com', /chat is running/i);
    const current = await api('GET', `/deployments/${id}`, { token: ada });
    expect(current.body).toMatchObject({ id, status: 'running' });

    // The history holds the events in order, each with its version.
    const history = await api('GET', `/deployments/${id}/events`, { token: ada });
    expect(history.status).toBe(200);
    const items = history.body.items as Array<{ version: number; type: string; time: string; data: unknown }>;
    expect(items.map((event) => event.version)).toEqual(items.map((_, i) => i + 1));
    expect(items.map((event) => event.type)).toEqual(['deployment.created', 'deployment.provisioning-started', 'deployment.succeeded']);
    expect(items.map((event) => Date.parse(event.time))).toEqual([...items.map((event) => Date.parse(event.time))].sort((a, b) => a - b));

    // A model named "fail" fails, and its owner hears why.
    const doomed = await api('POST', '/deployments', { token: ada, json: { name: 'doomed', model: 'fail' } });
    expect(doomed.status).toBe(202);
    await awaitMail('ada@example.com', /doomed failed/i);
    expect((await api('GET', `/deployments/${doomed.body.id}`, { token: ada })).body.status).toBe('failed');
    expect((await api('DELETE', `/deployments/${doomed.body.id}`, { token: ada })).status).toBe(202);
    expect((await api('GET', `/deployments/${doomed.body.id}`, { token: ada })).body.status).toBe('deleted');

    // Only the idempotent repeat's first deployment, and the doomed one, exist.
    const list = await api('GET', '/deployments', { token: ada });
    expect(list.status).toBe(200);
    expect(list.body.items.map((item: { id: string }) => item.id).sort()).toEqual([id, doomed.body.id].sort());

    // Analytics counts exactly what happened (logins are tracking events of user-service).
    const expected = {
      'user.registered': 1,
      'user.verified': 1,
      'user.logged-in': 2,
      'deployment.created': 2,
      // Every change of a deployment is an event: chat's and doomed's rollouts started.
      'deployment.provisioning-started': 2,
      'deployment.succeeded': 1,
      'deployment.failed': 1,
      'deployment.deleted': 1,
      // ada's verification, then created and running for chat, created and failed for doomed.
      'email.sent': 5,
    };
    await waitFor(async () => isDeepStrictEqual((await api('GET', '/analytics/summary')).body.counts, expected), {
      timeoutMs: 20_000,
      message: `analytics to count ${JSON.stringify(expected)}`,
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}; it counts ${JSON.stringify((await api('GET', '/analytics/summary')).body.counts)}`);
    });
    expect(mailTo('ada@example.com')).toHaveLength(5);
  });

  it('answers bad requests with the status and a message that says what is wrong', async () => {
    const unknownField = await api('POST', '/users', { json: { email: 'bob@example.com', name: 'Bob', password: PASSWORD, admin: true } });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.body.message)).toMatch(/admin/);
    const shortPassword = await api('POST', '/users', { json: { email: 'bob@example.com', name: 'Bob', password: 'short' } });
    expect(shortPassword.status).toBe(400);
    expect(JSON.stringify(shortPassword.body.message)).toMatch(/password/);
    expect((await api('POST', '/users', { raw: '{"email": ' })).status).toBe(400);
    expect((await api('POST', '/auth/login', { json: { email: 'nobody@example.com', password: PASSWORD } })).status).toBe(401);
  });

  it('keeps deployments private: no token or a bad one is 401, another user’s deployment is 404', async () => {
    expect((await api('GET', '/deployments')).status).toBe(401);
    expect((await api('GET', '/deployments', { token: 'not-a-jwt' })).status).toBe(401);
    expect((await api('GET', '/users/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);

    const bob = await api('POST', '/users', { json: { email: 'bob@example.com', name: 'Bob', password: PASSWORD } });
    expect(bob.status).toBe(201);
    const bobToken = await login('bob@example.com');
    const ada = await login('ada@example.com');
    const adas = (await api('GET', '/deployments', { token: ada })).body.items.find((item: { name: string }) => item.name === 'chat').id as string;
    const peek = await api('GET', `/deployments/${adas}`, { token: bobToken });
    expect(peek.status).toBe(404);
    expect((await api('GET', `/deployments/${adas}/events`, { token: bobToken })).status).toBe(404);
    expect((await api('DELETE', `/deployments/${adas}`, { token: bobToken })).status).toBe(404);
    expect((await api('GET', `/deployments/${adas}`, { token: ada })).body.status).toBe('running');
  });

  it('finishes a rollout that a crash interrupted, once deployment-service is back', async () => {
    const ada = await login('ada@example.com');
    const created = await api('POST', '/deployments', { token: ada, json: { name: 'survivor', model: 'mistral' } });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await waitFor(async () => (await api('GET', `/deployments/${id}`, { token: ada })).body.status === 'provisioning', {
      timeoutMs: 10_000,
      message: 'provisioning to start',
    });
    await platform.kill('deployment-service');
    await platform.startService('deployment-service');
    await waitFor(async () => (await api('GET', `/deployments/${id}`, { token: ada })).body?.status === 'running', {
      timeoutMs: 20_000,
      message: 'the interrupted deployment to run',
    });
    await waitFor(() => mailTo('ada@example.com').filter((mail) => /survivor is running/i.test(mail.subject ?? '')).length === 1, {
      timeoutMs: 20_000,
      message: 'one running email for the survivor',
    });
  });
});
