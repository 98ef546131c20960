import { PubSub } from '../pubsub';
import { transportSuite } from '../testing/transport.suite';
import { MemoryBroker, MemoryTransport } from './memory.transport';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

transportSuite('in-memory', async () => {
  const broker = new MemoryBroker();
  return {
    connect: async (service, options) => new PubSub({ service, transport: new MemoryTransport(broker), logger: quiet, ...options }),
    dispose: async () => broker.shutdown(),
  };
});
