import { randomUUID } from 'node:crypto';
import { connect as connectTcp, type AddressInfo } from 'node:net';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { openSse, startNatsServer, waitFor, type NatsServer, type SseStream } from '@mediamagic/testing';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../testing/test-gateway';
import { LIVE_STREAMS_PER_CALLER } from './live.controller';
import { LIVE_QUEUE_LIMIT } from './live.module';
import { LiveHub } from './live-hub';

/**
 * The live stream of a real gateway (HTTP on a socket) fed by a real nats-server: the test publishes the deployment
 * events as deployment-service does, with the version header, and reads the stream as a browser's EventSource would.
 */
describe('GET /deployments/live', () => {
  let nats: NatsServer;
  let connection: NatsConnection;
  let js: JetStreamClient;
  let gateway: TestGateway;
  let baseUrl: string;
  const streams: SseStream[] = [];
  const [ada, bob] = [randomUUID(), randomUUID()];
  const versions = new Map<string, number>();

  beforeAll(async () => {
    nats = await startNatsServer();
    connection = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(connection);
    for (const stream of DOMAIN_STREAMS) await jsm.streams.add({ name: stream.name, subjects: [...stream.subjects] });
    js = jetstream(connection);
    gateway = await startTestGateway({ JWT_SECRET: TEST_JWT_SECRET, NATS_ADDR: nats.url, LIVE_KEEP_ALIVE_MS: '200' });
    await gateway.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(gateway.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  afterAll(async () => {
    await gateway?.close();
    await connection?.close();
    await nats?.dispose();
  });

  const live = async (userId: string, lastEventId?: string) => {
    const stream = await openSse(`${baseUrl}/deployments/live`, {
      authorization: `Bearer ${await gateway.tokenFor(userId)}`,
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
    });
    streams.push(stream);
    return stream;
  };
  /** Publishes a stored deployment event as deployment-service does; its version counts per deployment. */
  const publish = async (type: 'created' | 'provisioning-started' | 'succeeded' | 'failed', ownerId: string, deploymentId: string, extra = {}) => {
    const version = (versions.get(deploymentId) ?? 0) + 1;
    versions.set(deploymentId, version);
    const at = new Date().toISOString();
    const time = {
      created: { createdAt: at, replicas: 1 },
      'provisioning-started': { startedAt: at },
      succeeded: { succeededAt: at },
      failed: { failedAt: at },
    }[type];
    const h = headers();
    h.set('deployment-version', String(version));
    const payload = { deploymentId, ownerId, ownerEmail: 'owner@example.com', name: 'chat', model: 'llama-3', ...time, ...extra };
    await js.publish(`deployment.${type}`, JSON.stringify(payload), { headers: h });
  };
  const progress = (ownerId: string, deploymentId: string, value: number) =>
    connection.publish('deployment.progress', JSON.stringify({ deploymentId, ownerId, progress: value, at: new Date().toISOString() }));
  const eventsOf = (stream: SseStream) => stream.events.filter((event) => event.event !== undefined);
  const untilEvents = (stream: SseStream, count: number) =>
    waitFor(() => eventsOf(stream).length >= count, { timeoutMs: 10_000, message: `${count} events: ${JSON.stringify(stream.events)}` });

  it('is 401 without a token, and 400 with a Last-Event-ID it did not send', async () => {
    const anonymous = await openSse(`${baseUrl}/deployments/live`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    const forged = await live(ada, '12345');
    expect(forged.status).toBe(400);
    expect(JSON.parse(forged.text)).toMatchObject({ statusCode: 400, message: expect.stringMatching(/Last-Event-ID/) });
  });

  it("streams the caller's deployment events in order, each stored one with an id, progress without, nobody else's", async () => {
    const [adas, bobs] = [await live(ada), await live(bob)];
    expect(adas.status).toBe(200);
    expect(adas.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(adas.headers['x-content-type-options']).toBe('nosniff');
    const [mine, his] = [randomUUID(), randomUUID()];
    await publish('created', ada, mine);
    await publish('created', bob, his);
    await publish('provisioning-started', ada, mine);
    progress(ada, mine, 0.5);
    progress(bob, his, 0.5);
    await publish('failed', ada, mine, { reason: 'no GPU left' });
    await untilEvents(adas, 4);
    await untilEvents(bobs, 2);

    expect(eventsOf(adas).map((event) => event.event)).toEqual([
      'deployment.created',
      'deployment.provisioning-started',
      'deployment.progress',
      'deployment.failed',
    ]);
    const [created, started, halfway, failed] = eventsOf(adas).map((event) => JSON.parse(event.data!));
    expect(created).toEqual({
      deploymentId: mine,
      type: 'deployment.created',
      version: 1,
      status: 'pending',
      time: expect.any(String),
      name: 'chat',
      model: 'llama-3',
      replicas: 1,
    });
    expect(started).toMatchObject({ deploymentId: mine, version: 2, status: 'provisioning' });
    expect(halfway).toEqual({ deploymentId: mine, progress: 0.5 });
    expect(failed).toMatchObject({ deploymentId: mine, version: 3, status: 'failed', reason: 'no GPU left' });
    expect(eventsOf(adas).map((event) => event.id === undefined)).toEqual([false, false, true, false]);
    // Nothing of the owner's beyond what the stream needs: not the address, not the id the caller already has.
    expect(JSON.stringify(adas.events)).not.toMatch(/owner@example\.com|ownerId/);
    expect(eventsOf(bobs).flatMap((event) => JSON.parse(event.data!).deploymentId)).toEqual([his, his]);
    // The stream stays open: comment lines while nothing happens.
    await waitFor(() => adas.events.some((event) => event.comment === 'keep-alive'), { message: 'a keep-alive comment' });
  });

  it('resumes after Last-Event-ID with exactly the missed events, then the live ones', async () => {
    const deployment = randomUUID();
    const first = await live(ada);
    await publish('created', ada, deployment);
    await untilEvents(first, 1);
    const lastId = eventsOf(first)[0].id!;
    first.close();
    await first.ended;
    // Missed while away, among another user's.
    await publish('provisioning-started', ada, deployment);
    await publish('created', bob, randomUUID());
    await publish('succeeded', ada, deployment);

    const again = await live(ada, lastId);
    await untilEvents(again, 2);
    await publish('failed', ada, deployment, { reason: 'evicted' });
    await untilEvents(again, 3);
    expect(eventsOf(again).map((event) => JSON.parse(event.data!))).toEqual([
      expect.objectContaining({ deploymentId: deployment, version: 2, type: 'deployment.provisioning-started' }),
      expect.objectContaining({ deploymentId: deployment, version: 3, type: 'deployment.succeeded' }),
      expect.objectContaining({ deploymentId: deployment, version: 4, type: 'deployment.failed' }),
    ]);
    // Ids grow with the stream, and each is sent once.
    expect(new Set(eventsOf(again).map((event) => event.id)).size).toBe(3);
  });

  it('disconnects a client that does not read, and keeps serving the others', async () => {
    const hub = gateway.app.get(LiveHub);
    const token = await gateway.tokenFor(ada);
    const url = new URL(baseUrl);
    // A client that sends its request and never reads: the kernel's buffers fill, then the gateway's queue.
    const stalled = connectTcp({ host: url.hostname, port: Number(url.port) });
    stalled.pause();
    let closed = false;
    stalled.on('close', () => (closed = true)).on('error', () => undefined);
    stalled.write(`GET /deployments/live HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
    const watcher = await live(ada);
    await waitFor(() => hub.size >= 2, { message: 'both streams open' });

    try {
      const deployment = randomUUID();
      const reason = 'x'.repeat(64 * 1024);
      // Far more than the socket buffers (megabytes on loopback) and the queue (LIVE_QUEUE_LIMIT frames) hold.
      const count = 600;
      for (let i = 0; i < count && !closed; i++) await publish('failed', ada, deployment, { reason });
      await waitFor(() => hub.size === 1, { timeoutMs: 15_000, message: 'the stalled client to be dropped' });
      await untilEvents(watcher, LIVE_QUEUE_LIMIT + 1);
      // The stalled client, reading at last, finds its connection closed after what the buffers held.
      stalled.resume();
      await waitFor(() => closed, { message: 'the stalled connection to be closed' });
    } finally {
      stalled.destroy();
    }
  });

  it('refuses a user more than LIVE_STREAMS_PER_CALLER streams at once, with a 429 and Retry-After', async () => {
    const user = randomUUID();
    for (let i = 0; i < LIVE_STREAMS_PER_CALLER; i++) expect((await live(user)).status).toBe(200);
    const one = await live(user);
    expect(one.status).toBe(429);
    expect(one.headers['retry-after']).toBe('1');
    expect((await live(bob)).status).toBe(200);
  });

  it('is documented in the OpenAPI document: the event stream, the Last-Event-ID header, the bearer scheme', async () => {
    const operation = (await gateway.inject({ method: 'GET', url: '/docs-json' })).json().paths['/deployments/live'].get;
    expect(operation.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(operation.responses['200'].content)).toEqual(['text/event-stream']);
    expect(operation.parameters).toContainEqual(expect.objectContaining({ name: 'Last-Event-ID', in: 'header', required: false }));
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '429', '503']);
  });

  it('ends the open streams when the gateway stops, without waiting for the clients', async () => {
    const other = await startTestGateway({ JWT_SECRET: TEST_JWT_SECRET, NATS_ADDR: nats.url });
    await other.app.listen(0, '127.0.0.1');
    const port = (other.app.getHttpServer().address() as AddressInfo).port;
    const stream = await openSse(`http://127.0.0.1:${port}/deployments/live`, { authorization: `Bearer ${await other.tokenFor(ada)}` });
    expect(stream.status).toBe(200);
    const started = Date.now();
    await other.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
