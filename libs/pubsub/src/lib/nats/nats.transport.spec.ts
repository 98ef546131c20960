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
