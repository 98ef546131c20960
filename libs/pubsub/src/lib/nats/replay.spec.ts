import { startNatsServer, waitFor, type NatsServer } from '@mediamagic/testing';
import { createPubSub } from '../create-pubsub';
import type { Message } from '../message';
import type { PubSub } from '../pubsub';
import { PermanentError } from '../errors';
import { Replayer, type ReplayProgress } from './replay';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (data: Uint8Array) => new TextDecoder().decode(data);

describe('replay (npm run replay) on a real nats-server', () => {
  let server: NatsServer;
  const clients: PubSub[] = [];
  const connect = async (service: string) => {
    const client = await createPubSub({ service, natsAddr: server.url, streams: [{ name: 'ORDERS', subjects: ['orders.>'] }], logger: quiet });
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.dispose();
  });

  it('re-delivers the stored events to one group only, marked replayed; a group with external effects skips them', async () => {
    const shop = await connect('shop');
    const billing = await connect('billing');
    const seen = { ledger: [] as Message[], mailer: [] as Message[], invoices: [] as Message[] };
    const record = (list: Message[]) => async (message: Message) => void list.push(message);
    await shop.subscribe('orders.placed', record(seen.ledger), { delivery: 'at-least-once', group: 'shop.ledger' });
    await shop.subscribe('orders.placed', record(seen.mailer), { delivery: 'at-least-once', group: 'shop.mailer', effects: 'external' });
    await billing.subscribe('orders.>', record(seen.invoices), { delivery: 'at-least-once', group: 'billing.invoices' });

    for (let i = 1; i <= 5; i++) await shop.publish('orders.placed', encode(`order ${i}`), { delivery: 'at-least-once' });
    await waitFor(() => seen.ledger.length === 5 && seen.mailer.length === 5 && seen.invoices.length === 5, { message: 'every group handled 5' });

    const replayer = await Replayer.connect({ servers: server.url, logger: quiet });
    try {
      const progress: ReplayProgress[][] = [];
      const one = await replayer.replay('shop.ledger', { intervalMs: 100, onProgress: (it) => progress.push([...it]) });
      expect(one).toEqual([expect.objectContaining({ group: 'shop.ledger', subject: 'orders.placed', delivered: 5, skipped: 0, deadLettered: 0 })]);
      expect(progress.at(-1)).toEqual([expect.objectContaining({ total: 5, handled: 5, done: true })]);
      expect(seen.ledger.map((m) => [decode(m.data), m.replayed])).toEqual([
        ...[1, 2, 3, 4, 5].map((i) => [`order ${i}`, false]),
        ...[1, 2, 3, 4, 5].map((i) => [`order ${i}`, true]),
      ]);
      // The replay consumer is gone: the next event reaches the group once, not replayed.
      await shop.publish('orders.placed', encode('order 6'), { delivery: 'at-least-once' });
      await waitFor(() => seen.ledger.length === 11 && seen.invoices.length === 6, { message: 'order 6 handled' });
      expect(seen.ledger.at(-1)!.replayed).toBe(false);

      // The whole service: both its groups; the one that sends emails skips every replayed delivery.
      const all = await replayer.replay('shop', { intervalMs: 100 });
      expect(all.map(({ group, delivered, skipped }) => ({ group, delivered, skipped }))).toEqual([
        { group: 'shop.ledger', delivered: 6, skipped: 0 },
        { group: 'shop.mailer', delivered: 6, skipped: 6 },
      ]);
      expect(seen.ledger).toHaveLength(17);
      expect(seen.mailer).toHaveLength(6);
      // Another service's group on the same subjects saw no replay.
      expect(seen.invoices).toHaveLength(6);
      expect(seen.invoices.every((m) => !m.replayed)).toBe(true);
      await expect(replayer.replay('nobody')).rejects.toThrow(/no consumer group is named nobody/);
    } finally {
      await replayer.close();
    }
  });

  it('replays only what was stored since a time, and counts the dead letters of the replay', async () => {
    const shop = await connect('depot');
    const handled: string[] = [];
    await shop.subscribe(
      'orders.shipped',
      async (message) => {
        const text = decode(message.data);
        // A poison event for the replay only: the first time round it was handled.
        if (message.replayed && text === 'cursed') throw new PermanentError('cannot ship twice');
        handled.push(text);
      },
      { delivery: 'at-least-once', group: 'depot.shipping' },
    );
    await shop.publish('orders.shipped', encode('old'), { delivery: 'at-least-once' });
    await waitFor(() => handled.length === 1, { message: 'the old event handled' });
    const since = new Date();
    await waitFor(() => Date.now() > since.getTime() + 1, { message: 'the clock to move on' });
    await shop.publish('orders.shipped', encode('cursed'), { delivery: 'at-least-once' });
    await shop.publish('orders.shipped', encode('new'), { delivery: 'at-least-once' });
    await waitFor(() => handled.length === 3, { message: 'three handled' });

    const replayer = await Replayer.connect({ servers: server.url, logger: quiet });
    try {
      const [summary] = await replayer.replay('depot.shipping', { since, intervalMs: 100 });
      expect(summary).toMatchObject({ delivered: 2, skipped: 0, deadLettered: 1 });
      expect(handled).toEqual(['old', 'cursed', 'new', 'new']);
    } finally {
      await replayer.close();
    }
  });
});
