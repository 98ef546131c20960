import { startNatsServer, waitFor, type NatsServer } from '@mediamagic/testing';
import { z } from 'zod';
import { createPubSub } from '../create-pubsub';
import { PermanentError } from '../errors';
import { defineEvent } from '../event-definition';
import type { PubSub } from '../pubsub';
import type { Subscription } from '../transport';
import { DeadLetterQueue } from './dead-letter-queue';
import { JetStreamDeliveries, type GroupDelivery, type PublishedEvent } from './deliveries';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const OrderPlaced = defineEvent({ subject: 'orders.placed', version: 1, schema: z.object({ orderId: z.string() }), delivery: 'at-least-once' });

// On a machine loaded by other work, JetStream's answers take their time: room for that.
describe('JetStreamDeliveries: where each event went, per consumer group', { timeout: 60_000 }, () => {
  let server: NatsServer;
  let shop: PubSub;
  let mailer: PubSub;
  let billing: PubSub;
  let deliveries: JetStreamDeliveries;
  /** Whether billing's handler fails (a retry), per order. */
  const failing = new Set<string>();
  let billingSubscription: Subscription | undefined;

  beforeAll(async () => {
    server = await startNatsServer();
    const connect = (service: string) =>
      createPubSub({
        service,
        natsAddr: server.url,
        streams: [{ name: 'ORDERS', subjects: ['orders.>'] }],
        logger: quiet,
        retry: { maxAttempts: 3, initialDelayMs: 2_000 },
      });
    [shop, mailer, billing] = await Promise.all([connect('shop'), connect('mailer'), connect('billing')]);
    await mailer.on(OrderPlaced, ({ orderId }) => {
      if (orderId === 'poison') throw new PermanentError('cannot mail a poison order');
    });
    deliveries = await JetStreamDeliveries.connect({ servers: server.url, name: 'deliveries' });
  });
  afterAll(async () => {
    await Promise.all([shop, mailer, billing, deliveries].map((closable) => closable?.close()));
    await server.dispose();
  });

  const billingOn = async () => {
    billingSubscription = await billing.on(OrderPlaced, ({ orderId }) => {
      if (failing.has(orderId)) throw new Error(`billing of ${orderId} is down`);
    });
  };
  const place = async (orderId: string): Promise<PublishedEvent> => {
    const time = new Date(Date.now() - 1_000);
    return { id: await shop.emit(OrderPlaced, { orderId }), subject: OrderPlaced.subject, time };
  };
  const of = async (event: PublishedEvent): Promise<Record<string, Omit<GroupDelivery, 'group'>>> => {
    const found = (await deliveries.of([event])).get(event.id)?.deliveries ?? [];
    return Object.fromEntries(found.map(({ group, ...rest }) => [group, rest]));
  };
  const until = async (event: PublishedEvent, expected: Record<string, Omit<GroupDelivery, 'group'>>) => {
    let last: unknown;
    await waitFor(
      async () => {
        last = await of(event);
        return JSON.stringify(last) === JSON.stringify(expected);
      },
      { timeoutMs: 30_000, message: `deliveries of ${event.id} to be ${JSON.stringify(expected)}` },
    ).catch((error: Error) => Promise.reject(new Error(`${error.message}, last ${JSON.stringify(last)}`)));
  };

  it('is pending for a group that has not received it yet, handled once it has', async () => {
    await billingOn();
    await billingSubscription!.close();
    const order = await place('o-1');

    await until(order, { billing: { state: 'pending', attempts: 0 }, mailer: { state: 'handled', attempts: 1 } });
    await billingOn();
    await until(order, { billing: { state: 'handled', attempts: 1 }, mailer: { state: 'handled', attempts: 1 } });
  });

  it('is retrying while a group waits to try again, with the attempts so far, then handled with them', async () => {
    failing.add('o-2');
    const order = await place('o-2');

    await until(order, { billing: { state: 'retrying', attempts: 1 }, mailer: { state: 'handled', attempts: 1 } });
    failing.delete('o-2');
    await until(order, { billing: { state: 'handled', attempts: 2 }, mailer: { state: 'handled', attempts: 1 } });
  });

  it('is dead-lettered for the group that could not handle it, and only for that one', async () => {
    const order = await place('poison');

    await until(order, { billing: { state: 'handled', attempts: 1 }, mailer: { state: 'dead-lettered', attempts: 1 } });

    // Sent back by the operator, the dead letter leaves its stream: this delivery stays what it was.
    const dlq = await DeadLetterQueue.connect({ servers: server.url, logger: quiet });
    try {
      for (const letter of await dlq.list()) if (letter.eventId === order.id) await dlq.replay(letter.id);
    } finally {
      await dlq.close();
    }
    expect(await of(order)).toEqual({ billing: { state: 'handled', attempts: 1 }, mailer: { state: 'dead-lettered', attempts: 1 } });
  });

  it('says where each event is stored, and reads an event from there when told', async () => {
    const order = await place('o-3');
    await until(order, { billing: { state: 'handled', attempts: 1 }, mailer: { state: 'handled', attempts: 1 } });
    const { stream, sequence } = (await deliveries.of([order])).get(order.id)!;
    expect({ stream, sequence }).toEqual({ stream: 'ORDERS', sequence: expect.any(Number) });

    // Told where it is, it does not look for it: not even the id or time need to be right.
    const moved = { ...order, time: new Date(), location: { stream, sequence } };
    expect((await deliveries.of([moved])).get(order.id)).toEqual({
      stream,
      sequence,
      deliveries: expect.arrayContaining([expect.objectContaining({ group: 'billing', state: 'handled' })]),
    });
  });

  it('is nowhere for an event the stream does not hold', async () => {
    expect(await deliveries.of([{ id: 'never-published', subject: OrderPlaced.subject, time: new Date() }])).toEqual(new Map());
  });
});
