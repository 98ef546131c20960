import { Platform, waitFor } from '@mediamagic/testing';
import { call } from './support/http';
import { storedMessages } from './support/streams';

const PASSWORD = 'correct horse battery';
const EMAIL_GROUP = 'email-service.notify-deployment-owner';
const ANALYTICS_GROUP = 'analytics-service.count-event';

interface Delivery {
  group: string;
  state: 'handled' | 'pending' | 'retrying' | 'dead-lettered';
  attempts: number;
}
interface HistoryEvent {
  version: number;
  type: string;
  time: string;
  deliveries: Delivery[];
}

/**
 * The event log as a tool, from the outside: every change of a deployment is a published event (the
 * rollout's provisioning-started too), a deployment can be rewound to any version or time, and each
 * event says where it went, per consumer group, as JetStream and the groups tell it.
 */
describe('a deployment’s history: rewind and deliveries', () => {
  let platform: Platform;
  /** Addresses whose mailbox refuses mail for good (550): email-service dead-letters what it cannot send them. */
  const refused = new Set<string>();
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(platform.baseUrl, method, path, options);

  beforeAll(async () => {
    platform = await Platform.start({
      suite: 'e2e-history',
      provisioningDelayMs: 1_500,
      smtpRefuse: (address) => (refused.has(address) ? { code: 550, message: 'mailbox unavailable' } : undefined),
    });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  /**
   * A registered, verified and logged-in user's token. On a loaded machine user-service's password hashing can
   * outlast the gateway's deadline (504): a client tries again, the registration with its Idempotency-Key.
   */
  async function verifiedUser(email: string): Promise<string> {
    const again = async (request: () => ReturnType<typeof api>) => {
      let answer = await request();
      for (let attempt = 2; answer.status === 504 && attempt <= 3; attempt++) answer = await request();
      return answer;
    };
    const registered = await again(() =>
      api('POST', '/users', { json: { email, name: 'Tester', password: PASSWORD }, headers: { 'idempotency-key': `register-${email}` } }),
    );
    expect(registered.status).toBe(201);
    const mail = await waitFor(() => platform.smtp.to(email).find((it) => /verify/i.test(it.subject ?? '')), {
      timeoutMs: 20_000,
      message: `the verification email to ${email}`,
    });
    const token = mail.text?.match(/verify\?token=([\w-]+)/)?.[1];
    expect((await api('POST', '/users/verify', { json: { token } })).status).toBe(200);
    const login = await again(() => api('POST', '/auth/login', { json: { email, password: PASSWORD } }));
    expect(login.status).toBe(200);
    return login.body.accessToken as string;
  }
  const create = async (token: string, name: string) => {
    const created = await api('POST', '/deployments', { token, json: { name, model: 'llama-3' } });
    expect(created.status).toBe(202);
    return created.body.id as string;
  };
  const history = async (token: string, id: string) => (await api('GET', `/deployments/${id}/events`, { token })).body.items as HistoryEvent[];
  const deliveryOf = (event: HistoryEvent | undefined, group: string) => event?.deliveries.find((delivery) => delivery.group === group);
  /** Waits until `group`'s delivery of the deployment's event `version` matches, and returns it. */
  const awaitDelivery = async (token: string, id: string, version: number, group: string, matches: (delivery: Delivery) => boolean, what: string) => {
    let seen: Delivery | undefined;
    return waitFor(
      async () => {
        seen = deliveryOf((await history(token, id))[version - 1], group);
        return seen && matches(seen) ? seen : undefined;
      },
      { timeoutMs: 30_000, message: `${group} to have ${what} event ${version} of ${id}` },
    ).catch((error: Error) => Promise.reject(new Error(`${error.message}; last seen ${JSON.stringify(seen)}`)));
  };

  it('rewinds a deployment to each of its versions and to the times between them', async () => {
    const token = await verifiedUser('rewind@example.com');
    const id = await create(token, 'rewound');
    await waitFor(async () => (await api('GET', `/deployments/${id}`, { token })).body.status === 'running', { timeoutMs: 20_000, message: 'running' });
    expect((await api('DELETE', `/deployments/${id}`, { token })).status).toBe(202);

    const events = await history(token, id);
    expect(events.map((event) => `${event.version} ${event.type}`)).toEqual([
      '1 deployment.created',
      '2 deployment.provisioning-started',
      '3 deployment.succeeded',
      '4 deployment.deleted',
    ]);
    const statuses = ['pending', 'provisioning', 'running', 'deleted'];
    const now = await api('GET', `/deployments/${id}`, { token });
    expect(now.body).toMatchObject({ status: 'deleted', version: 4 });

    for (const [i, event] of events.entries()) {
      const expected = { id, status: statuses[i], version: event.version, updatedAt: event.time };
      const atVersion = await api('GET', `/deployments/${id}?version=${event.version}`, { token });
      expect({ version: event.version, status: atVersion.status, body: atVersion.body }).toMatchObject({ version: event.version, status: 200, body: expected });
      // At the instant of the event, and at any time before the next one.
      const next = events[i + 1];
      const between = next ? new Date((Date.parse(event.time) + Date.parse(next.time)) / 2).toISOString() : new Date().toISOString();
      for (const at of [event.time, between]) {
        const atTime = await api('GET', `/deployments/${id}?at=${encodeURIComponent(at)}`, { token });
        expect({ at, status: atTime.status, body: atTime.body }).toMatchObject({ at, status: 200, body: expected });
      }
    }
    // The current answer is the last version's.
    expect((await api('GET', `/deployments/${id}?version=4`, { token })).body).toEqual(now.body);

    const before = new Date(Date.parse(events[0]!.time) - 1).toISOString();
    expect((await api('GET', `/deployments/${id}?at=${encodeURIComponent(before)}`, { token })).status).toBe(404);
    expect((await api('GET', `/deployments/${id}?version=5`, { token })).status).toBe(404);
    for (const query of ['version=0', 'version=two', 'at=yesterday', 'version=1&at=2030-01-01T00:00:00Z']) {
      expect({ query, status: (await api('GET', `/deployments/${id}?${query}`, { token })).status }).toEqual({ query, status: 400 });
    }
    // Another user's deployment stays a 404 in the past too.
    const stranger = await verifiedUser('stranger@example.com');
    expect((await api('GET', `/deployments/${id}?version=1`, { token: stranger })).status).toBe(404);
  });

  it('publishes provisioning-started like every other change, stores it, never stores the progress reports, and analytics counts it', async () => {
    const token = await verifiedUser('published@example.com');
    const id = await create(token, 'published');
    await waitFor(async () => (await api('GET', `/deployments/${id}`, { token })).body.status === 'running', { timeoutMs: 20_000, message: 'running' });

    const started = await awaitDelivery(token, id, 2, ANALYTICS_GROUP, (delivery) => delivery.state === 'handled', 'handled');
    expect(started).toEqual({ group: ANALYTICS_GROUP, state: 'handled', attempts: 1 });
    const stored = (await storedMessages(platform.nats.url, 'DEPLOYMENT')).filter((message) => message.includes(id));
    expect(stored.map((message) => message.split(' ')[0])).toEqual(['deployment.created', 'deployment.provisioning-started', 'deployment.succeeded']);
    expect(stored[1]).toContain('["deployment-version",["2"]]');
    const counts = (await api('GET', '/analytics/summary')).body.counts as Record<string, number>;
    expect(counts['deployment.provisioning-started']).toBeGreaterThanOrEqual(1);
    expect(counts).not.toHaveProperty('deployment.progress');
  });

  it('shows each event pending for a group that has not had it, then handled', async () => {
    const token = await verifiedUser('pending@example.com');
    await platform.kill('analytics-service');
    let id = '';
    try {
      id = await create(token, 'waiting');
      // email-service got it; analytics-service, down, has not.
      await awaitDelivery(token, id, 1, EMAIL_GROUP, (delivery) => delivery.state === 'handled', 'handled');
      const created = (await history(token, id))[0]!;
      expect(deliveryOf(created, ANALYTICS_GROUP)).toMatchObject({ state: 'pending' });
    } finally {
      await platform.startService('analytics-service');
    }
    await awaitDelivery(token, id, 1, ANALYTICS_GROUP, (delivery) => delivery.state === 'handled', 'handled');
  });

  it('shows a delivery retrying with its attempts while the mail server is away, then handled after them', async () => {
    const token = await verifiedUser('retry@example.com');
    await platform.smtp.refuseConnections();
    let id = '';
    try {
      id = await create(token, 'patient');
      const retrying = await awaitDelivery(token, id, 1, EMAIL_GROUP, (delivery) => delivery.state === 'retrying' && delivery.attempts >= 2, 'retried');
      expect(retrying.attempts).toBeGreaterThanOrEqual(2);
      expect(deliveryOf((await history(token, id))[0], ANALYTICS_GROUP)).toEqual({ group: ANALYTICS_GROUP, state: 'handled', attempts: 1 });
    } finally {
      await platform.smtp.acceptConnections();
    }
    const handled = await awaitDelivery(token, id, 1, EMAIL_GROUP, (delivery) => delivery.state === 'handled', 'handled');
    expect(handled.attempts).toBeGreaterThanOrEqual(3);
  });

  it('shows a poison event dead-lettered by the group that cannot handle it, handled by the others', async () => {
    const token = await verifiedUser('poison@example.com');
    // The owner's mailbox now refuses mail for good: email-service cannot notify them, retrying cannot help.
    refused.add('poison@example.com');
    const id = await create(token, 'undeliverable');

    const deadLettered = await awaitDelivery(token, id, 1, EMAIL_GROUP, (delivery) => delivery.state === 'dead-lettered', 'dead-lettered');
    expect(deadLettered).toEqual({ group: EMAIL_GROUP, state: 'dead-lettered', attempts: 1 });
    await awaitDelivery(token, id, 1, ANALYTICS_GROUP, (delivery) => delivery.state === 'handled', 'handled');
    // provisioning-started goes to analytics only: email-service does not subscribe to it.
    const started = await awaitDelivery(token, id, 2, ANALYTICS_GROUP, (delivery) => delivery.state === 'handled', 'handled');
    expect((await history(token, id))[1]!.deliveries.map((delivery) => delivery.group)).not.toContain(EMAIL_GROUP);
    expect(started.attempts).toBe(1);
  });
});
