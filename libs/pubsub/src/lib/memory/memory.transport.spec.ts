import { waitFor } from '@mediamagic/testing';
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

describe('in-memory replay (what npm run replay does on NATS)', () => {
  it('re-delivers the stored events to the groups of one service only, marked replayed; an external handler skips them', async () => {
    const broker = new MemoryBroker();
    const shop = new PubSub({ service: 'shop', transport: new MemoryTransport(broker), logger: quiet });
    const seen: Array<[string, boolean]> = [];
    const mailed: string[] = [];
    await shop.subscribe('orders.placed', async (m) => void seen.push([m.group, m.replayed]), { delivery: 'at-least-once', group: 'shop.ledger' });
    await shop.subscribe('orders.placed', async (m) => void mailed.push(m.id), { delivery: 'at-least-once', group: 'shop.mailer', effects: 'external' });
    await shop.subscribe('orders.placed', async (m) => void seen.push([m.group, m.replayed]), { delivery: 'at-least-once', group: 'billing.invoices' });
    await shop.publish('orders.placed', new Uint8Array([1]), { delivery: 'at-least-once' });
    await waitFor(() => seen.length === 2 && mailed.length === 1);

    expect(broker.replay('shop')).toBe(2);
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual([
      ['shop.ledger', false],
      ['billing.invoices', false],
      ['shop.ledger', true],
    ]);
    expect(mailed).toHaveLength(1);
    await shop.close();
    broker.shutdown();
  });
});
