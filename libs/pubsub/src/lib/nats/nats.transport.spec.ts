import { startNatsServer, type NatsServer } from '@mediamagic/testing';
import { createPubSub } from '../create-pubsub';
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

  it('refuses to start with an unreachable NATS_ADDR, saying where without the credentials', async () => {
    await expect(createPubSub({ service: 'x', natsAddr: 'nats://user:s3cret@127.0.0.1:1', logger: quiet })).rejects.toThrow(
      /cannot connect to NATS at nats:\/\/\*\*\*@127\.0\.0\.1:1/,
    );
  });
});
