import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { startNatsServer, waitFor, type NatsServer } from '@mediamagic/testing';
import { createPubSub } from '../create-pubsub';
import { durableName } from './durable-consumer';
import { NatsTransport } from './nats.transport';
import { transportSuite } from '../testing/transport.suite';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

transportSuite(
  'NATS',
  async () => {
    const server: NatsServer = await startNatsServer();
    return {
      connect: (service, options) =>
        createPubSub({ service, natsAddr: server.url, streams: [{ name: 'TEST', subjects: ['test.>'] }], logger: quiet, ...options }),
      restartBroker: async () => {
        await server.stop();
        await server.start();
      },
      dispose: () => server.dispose(),
    };
  },
  { brokerRestarts: true },
);

describe('NATS transport, beyond the universal suite', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server.dispose());

  it('fails an at-least-once publish at once when no stream stores its subject, instead of retrying', async () => {
    const pubsub = await createPubSub({ service: 'lonely', natsAddr: server.url, logger: quiet });
    try {
      const started = Date.now();
      await expect(pubsub.publish('nowhere.stored', new Uint8Array([1]), { delivery: 'at-least-once' })).rejects.toThrow(
        /no JetStream stream stores nowhere.stored/,
      );
      // Far below the 30 s a publish keeps retrying while the broker is away.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await pubsub.close();
    }
  });

  it('puts back a declared subject that a concurrent stream update dropped, instead of failing the publish', async () => {
    const pubsub = await createPubSub({ service: 'healer', natsAddr: server.url, streams: [{ name: 'HEAL', subjects: ['heal.>'] }], logger: quiet });
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const { config } = await jsm.streams.info('HEAL');
      await jsm.streams.update('HEAL', { ...config, subjects: ['other.>'] });
      await pubsub.publish('heal.me', new Uint8Array([1]), { delivery: 'at-least-once' });
      const healed = await jsm.streams.info('HEAL');
      expect([...healed.config.subjects].sort()).toEqual(['heal.>', 'other.>']);
      expect(healed.state.messages).toBe(1);
    } finally {
      await nc.close();
      await pubsub.close();
    }
  });

  it('puts back a dropped subject when a group subscribes too, instead of refusing the subscription', async () => {
    const pubsub = await createPubSub({ service: 'mender', natsAddr: server.url, streams: [{ name: 'MEND', subjects: ['mend.>'] }], logger: quiet });
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const { config } = await jsm.streams.info('MEND');
      await jsm.streams.update('MEND', { ...config, subjects: ['elsewhere.>'] });
      await pubsub.subscribe('mend.me', async () => undefined, { delivery: 'at-least-once' });
      expect([...(await jsm.streams.info('MEND')).config.subjects].sort()).toEqual(['elsewhere.>', 'mend.>']);
    } finally {
      await nc.close();
      await pubsub.close();
    }
  });

  it("brings a group's durable consumer up to date when a deploy changes its ack wait", async () => {
    const nc = await connect({ servers: server.url });
    try {
      for (const ackWaitMs of [1_000, 3_000]) {
        const pubsub = await createPubSub({ service: 'redeployed', natsAddr: server.url, streams: [{ name: 'TEST', subjects: ['test.>'] }], logger: quiet });
        await pubsub.subscribe('test.redeployed', async () => undefined, { delivery: 'at-least-once', ackWaitMs });
        await pubsub.close();
      }
      const jsm = await jetstreamManager(nc);
      expect((await jsm.consumers.info('TEST', durableName('redeployed', 'test.redeployed'))).config.ack_wait).toBe(nanos(3_000));
    } finally {
      await nc.close();
    }
  });

  it("sends the responder's failure reply when its answer cannot be sent, so the caller is not left waiting", async () => {
    const transport = await NatsTransport.connect({ servers: server.url, name: 'big-replies', logger: quiet });
    try {
      const tooLarge = new Uint8Array(transport.connection.info!.max_payload + 1);
      const failures: Error[] = [];
      await transport.respond('rpc.big', 'big-replies', {
        answer: async () => ({ data: tooLarge, headers: {} }),
        failed: (error) => {
          failures.push(error);
          return { data: new TextEncoder().encode('not sent'), headers: { 'x-failed': 'yes' } };
        },
      });
      const reply = await transport.request({ subject: 'rpc.big', data: new Uint8Array(), headers: {} }, 5_000);
      expect(new TextDecoder().decode(reply.data)).toBe('not sent');
      expect(reply.headers).toEqual({ 'x-failed': 'yes' });
      expect(failures.map((error) => error.message)).toEqual([expect.stringMatching(/max_payload/)]);
    } finally {
      await transport.close();
    }
  });

  it('refuses to start with an unreachable NATS_ADDR, saying where without the credentials', async () => {
    await expect(createPubSub({ service: 'x', natsAddr: 'nats://user:s3cret@127.0.0.1:1', logger: quiet })).rejects.toThrow(
      /cannot connect to NATS at nats:\/\/\*\*\*@127\.0\.0\.1:1/,
    );
  });

  it('reports a running handler as in progress, so a slow one is not redelivered past the ack wait', async () => {
    const pubsub = await createPubSub({ service: 'slow', natsAddr: server.url, streams: [{ name: 'TEST', subjects: ['test.>'] }], logger: quiet });
    const nc = await connect({ servers: server.url });
    try {
      const attempts: number[] = [];
      await pubsub.subscribe(
        'test.slow',
        async (message) => {
          attempts.push(message.attempt);
          // Work that takes two and a half ack waits.
          await new Promise((resolve) => setTimeout(resolve, 2_500));
        },
        { delivery: 'at-least-once', ackWaitMs: 1_000 },
      );
      await pubsub.publish('test.slow', new Uint8Array([1]), { delivery: 'at-least-once' });
      const jsm = await jetstreamManager(nc);
      const info = await waitFor(
        async () => {
          const consumer = await jsm.consumers.info('TEST', durableName('slow', 'test.slow'));
          return consumer.delivered.consumer_seq > 0 && consumer.num_ack_pending === 0 && consumer;
        },
        { message: 'the slow message acked' },
      );
      expect(info.num_redelivered).toBe(0);
      expect(attempts).toEqual([1]);
    } finally {
      await nc.close();
      await pubsub.close();
    }
  });
});
