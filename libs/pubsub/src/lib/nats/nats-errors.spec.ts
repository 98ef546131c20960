import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServer } from '@mediamagic/testing';
import { isConsumerAlreadyExists, isNoResponders, isStreamNotFound, isTimeout } from './nats-errors';

/** The error itself a call rejects with (the testing library's failureOf keeps only status and message); fails the test when it resolves. */
async function rejectionOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('NATS errors, as a real server and nats.js raise them', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'KNOWN', subjects: ['known.>'] });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it('isStreamNotFound: no stream by that name, or none storing the subject', async () => {
    expect(isStreamNotFound(await rejectionOf(jsm.streams.info('MISSING')))).toBe(true);
    expect(isStreamNotFound(await rejectionOf(jsm.streams.find('nowhere.stored')))).toBe(true);
    expect(isStreamNotFound(await rejectionOf(jsm.streams.getMessage('MISSING', { seq: 1 })))).toBe(true);
    // Another resource missing is not a missing stream.
    expect(isStreamNotFound(await rejectionOf(jsm.consumers.info('KNOWN', 'missing')))).toBe(false);
  });

  it('isConsumerAlreadyExists: a durable of that name with another configuration', async (context) => {
    // Another consumer error is not this one.
    expect(isConsumerAlreadyExists(await rejectionOf(jsm.consumers.info('KNOWN', 'missing')))).toBe(false);
    const durable = { durable_name: 'taken', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All };
    await jsm.consumers.add('KNOWN', { ...durable, ack_wait: 1_000_000_000 });
    const changed = jsm.consumers.add('KNOWN', { ...durable, ack_wait: 2_000_000_000 });
    if (serverBefore(nc, 2, 10)) {
      // These know no create-only action and update the consumer instead of refusing: nothing to provoke.
      await changed;
      context.skip();
    }
    expect(isConsumerAlreadyExists(await rejectionOf(changed))).toBe(true);
  });

  it('isNoResponders: nobody listens to a request, or no stream to a JetStream publish', async () => {
    const request = await rejectionOf(nc.request('nobody.home', undefined, { timeout: 2_000 }));
    expect(isNoResponders(request)).toBe(true);
    expect(isTimeout(request)).toBe(false);
    expect(isNoResponders(await rejectionOf(jetstream(nc).publish('nowhere.stored', new Uint8Array([1]))))).toBe(true);
  });

  it('isTimeout: a listener that does not answer in time', async () => {
    const silent = nc.subscribe('silent.one');
    await nc.flush();
    const request = await rejectionOf(nc.request('silent.one', undefined, { timeout: 100 }));
    silent.unsubscribe();
    expect(isTimeout(request)).toBe(true);
    expect(isNoResponders(request)).toBe(false);
  });
});

function serverBefore(nc: NatsConnection, major: number, minor: number): boolean {
  const [serverMajor = 0, serverMinor = 0] = (nc.info?.version ?? '0.0').split('.').map(Number);
  return serverMajor < major || (serverMajor === major && serverMinor < minor);
}
