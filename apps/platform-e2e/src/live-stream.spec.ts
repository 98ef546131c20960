import { openSse, Platform, waitFor, type ServerSentEvent, type SseStream } from '@mediamagic/testing';
import { call } from './support/http';

const PASSWORD = 'correct horse battery';

/**
 * GET /deployments/live as a browser uses it, against the five services as processes: the events a deployment goes
 * through arrive in order, a reconnect with Last-Event-ID gets exactly what was missed, and nobody sees another's.
 */
describe('the live stream of deployments, end to end', () => {
  let platform: Platform;
  const streams: SseStream[] = [];
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(platform.baseUrl, method, path, options);

  beforeAll(async () => {
    platform = await Platform.start({ suite: 'live', provisioningDelayMs: 1_500 });
  });
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  afterAll(async () => {
    const codes = await platform?.stop();
    expect(codes).toMatchObject({ gateway: 0 });
  });

  /** A verified user, logged in: their access token. */
  async function aVerifiedUser(email: string): Promise<string> {
    expect((await api('POST', '/users', { json: { email, name: 'Live', password: PASSWORD } })).status).toBe(201);
    const mail = await waitFor(() => platform.smtp.to(email).find((message) => /verify/i.test(message.subject ?? '')), {
      timeoutMs: 20_000,
      message: `the verification email to ${email}`,
    });
    const link = mail.text?.match(new RegExp(`${platform.baseUrl}/verify\\?token=[\\w-]+`))?.[0];
    expect((await fetch(link!)).status).toBe(200);
    const login = await api('POST', '/auth/login', { json: { email, password: PASSWORD } });
    return login.body.accessToken as string;
  }
  const live = async (token: string, lastEventId?: string) => {
    const stream = await openSse(`${platform.baseUrl}/deployments/live`, {
      authorization: `Bearer ${token}`,
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
    });
    expect(stream.status).toBe(200);
    streams.push(stream);
    return stream;
  };
  const eventsOf = (stream: SseStream, deploymentId?: string): ServerSentEvent[] =>
    stream.events.filter((event) => event.event !== undefined && (!deploymentId || JSON.parse(event.data!).deploymentId === deploymentId));
  const untilEvent = (stream: SseStream, deploymentId: string, type: string) =>
    waitFor(() => eventsOf(stream, deploymentId).find((event) => event.event === type), {
      timeoutMs: 20_000,
      message: `${type} of ${deploymentId} on the stream: ${JSON.stringify(stream.events)}`,
    });
  const deploy = async (token: string, name: string, model = 'llama-3') => {
    const created = await api('POST', '/deployments', { token, json: { name, model } });
    expect(created.status).toBe(202);
    return created.body.id as string;
  };

  it('is 401 without a token', async () => {
    expect((await openSse(`${platform.baseUrl}/deployments/live`)).status).toBe(401);
  });

  it("shows one deployment's life in order, each change with its version, and another user's never", async () => {
    const [ada, bob] = [await aVerifiedUser('ada.live@example.com'), await aVerifiedUser('bob.live@example.com')];
    const [adas, bobs] = [await live(ada), await live(bob)];
    const mine = await deploy(ada, 'chat');
    const his = await deploy(bob, 'search');
    await untilEvent(adas, mine, 'deployment.succeeded');
    await untilEvent(bobs, his, 'deployment.succeeded');

    const seen = eventsOf(adas, mine);
    const stored = seen.filter((event) => event.event !== 'deployment.progress');
    expect(stored.map((event) => event.event)).toEqual(['deployment.created', 'deployment.provisioning-started', 'deployment.succeeded']);
    expect(stored.map((event) => JSON.parse(event.data!))).toEqual([
      expect.objectContaining({ deploymentId: mine, type: 'deployment.created', version: 1, status: 'pending', name: 'chat', model: 'llama-3' }),
      expect.objectContaining({ version: 2, status: 'provisioning' }),
      expect.objectContaining({ version: 3, status: 'running' }),
    ]);
    expect(stored.every((event) => event.id)).toBe(true);
    // Progress while provisioning: between the start and the success, growing, with no id.
    const types = seen.map((event) => event.event);
    const progress = seen.filter((event) => event.event === 'deployment.progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((event) => event.id === undefined)).toBe(true);
    expect(types.indexOf('deployment.progress')).toBeGreaterThan(types.indexOf('deployment.provisioning-started'));
    expect(types.lastIndexOf('deployment.progress')).toBeLessThan(types.indexOf('deployment.succeeded'));
    const values = progress.map((event) => JSON.parse(event.data!).progress as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));

    expect(eventsOf(adas).every((event) => JSON.parse(event.data!).deploymentId === mine)).toBe(true);
    expect(eventsOf(bobs).every((event) => JSON.parse(event.data!).deploymentId === his)).toBe(true);
    // The stream is a notification: the whole state is GET /deployments/:id's.
    expect((await api('GET', `/deployments/${mine}`, { token: ada })).body).toMatchObject({ status: 'running' });
  });

  it('resumes after Last-Event-ID with exactly the events missed while away, then the live ones', async () => {
    const ada = await aVerifiedUser('ada.resume@example.com');
    const first = await live(ada);
    const early = await deploy(ada, 'early');
    const created = await untilEvent(first, early, 'deployment.created');
    first.close();
    await first.ended;
    // While away: the first one provisions, and a second one is made and fails.
    await waitFor(async () => (await api('GET', `/deployments/${early}`, { token: ada })).body.status === 'running', {
      timeoutMs: 20_000,
      message: 'the first deployment to run',
    });
    const doomed = await deploy(ada, 'doomed', 'fail');
    await waitFor(async () => (await api('GET', `/deployments/${doomed}`, { token: ada })).body.status === 'failed', {
      timeoutMs: 20_000,
      message: 'the second deployment to fail',
    });

    const again = await live(ada, created.id);
    await untilEvent(again, doomed, 'deployment.failed');
    expect((await api('DELETE', `/deployments/${early}`, { token: ada })).status).toBe(202);
    await untilEvent(again, early, 'deployment.deleted');
    // Progress reports are never kept, so a resume carries only the stored events.
    const stored = eventsOf(again).filter((event) => event.event !== 'deployment.progress');
    expect(stored.map((event) => `${JSON.parse(event.data!).deploymentId === early ? 'early' : 'doomed'} ${event.event}`)).toEqual([
      'early deployment.provisioning-started',
      'early deployment.succeeded',
      'doomed deployment.created',
      'doomed deployment.provisioning-started',
      'doomed deployment.failed',
      'early deployment.deleted',
    ]);
    expect(JSON.parse(stored[4].data!)).toMatchObject({ status: 'failed', reason: expect.stringContaining('fail') });
    expect(new Set(stored.map((event) => event.id)).size).toBe(stored.length);
  });
});
