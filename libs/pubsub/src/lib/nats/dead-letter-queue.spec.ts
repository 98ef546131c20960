import { startNatsServer, waitFor, type NatsServer } from '@mediamagic/testing';
import { z } from 'zod';
import { createPubSub } from '../create-pubsub';
import { defineEvent } from '../event-definition';
import type { PubSub } from '../pubsub';
import { DeadLetterQueue } from './dead-letter-queue';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const OrderPlaced = defineEvent({ subject: 'orders.placed', version: 1, schema: z.object({ orderId: z.string() }), delivery: 'at-least-once' });
const encoder = new TextEncoder();

describe('DeadLetterQueue (npm run dlq)', () => {
  let server: NatsServer;
  let publisher: PubSub;
  let mailer: PubSub;
  let billing: PubSub;
  let dlq: DeadLetterQueue;
  const mailed: string[] = [];
  const billed: string[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    const connect = (service: string) =>
      createPubSub({
        service,
        natsAddr: server.url,
        streams: [{ name: 'ORDERS', subjects: ['orders.>'] }],
        logger: quiet,
        retry: { maxAttempts: 2, initialDelayMs: 10 },
      });
    [publisher, mailer, billing] = await Promise.all([connect('shop'), connect('mailer'), connect('billing')]);
    await mailer.on(OrderPlaced, ({ orderId }) => {
      if (orderId === 'broken') throw new Error('cannot mail order "broken"');
      mailed.push(orderId);
    });
    await billing.on(OrderPlaced, ({ orderId }) => void billed.push(orderId));
    dlq = await DeadLetterQueue.connect({ servers: server.url, logger: quiet });
  });
  afterAll(async () => {
    await Promise.all([publisher, mailer, billing, dlq].map((closable) => closable?.close()));
    await server.dispose();
  });

  it('lists why each event was dead-lettered, and replays one to the group that failed it only', async () => {
    await publisher.emit(OrderPlaced, { orderId: 'broken' }, { id: 'order-1' });
    // Schema-invalid: dead-lettered by both groups at once.
    await publisher.publish('orders.placed', encoder.encode('{"order":1}'), { id: 'order-2', delivery: 'at-least-once' });
    await waitFor(async () => (await dlq.list()).length === 3, { timeoutMs: 10_000, message: 'three dead letters' });

    const letters = await dlq.list();
    expect(letters.map(({ eventId, group, subject, attempts }) => ({ eventId, group, subject, attempts }))).toEqual(
      expect.arrayContaining([
        { eventId: 'order-1', group: 'mailer', subject: 'orders.placed', attempts: 2 },
        { eventId: 'order-2', group: 'mailer', subject: 'orders.placed', attempts: 1 },
        { eventId: 'order-2', group: 'billing', subject: 'orders.placed', attempts: 1 },
      ]),
    );
    expect(letters.find((letter) => letter.eventId === 'order-1')?.reason).toMatch(/cannot mail order "broken"/);
    expect(letters.find((letter) => letter.eventId === 'order-2')?.reason).toMatch(/orderId/);
    expect(billed).toEqual(['broken']);

    // The fixed event, for the mailer only: billing handled order-2's... nothing, yet must not get the mailer's copy.
    const mailersCopy = letters.find((letter) => letter.eventId === 'order-2' && letter.group === 'mailer')!;
    await dlq.replay(mailersCopy.id, { data: encoder.encode('{"orderId":"fixed"}') });
    await waitFor(() => mailed.includes('fixed'), { timeoutMs: 10_000, message: 'the replayed event handled' });
    expect(billed).toEqual(['broken']);
    expect((await dlq.list()).map((letter) => letter.id)).not.toContain(mailersCopy.id);
    await expect(dlq.replay(mailersCopy.id)).rejects.toThrow(/there is no dead letter/);
  });

  it('replays everything at once; what fails again comes back as a new dead letter', async () => {
    const before = await dlq.list();
    await dlq.replayAll();
    // order-1 still breaks the mailer; order-2 still breaks billing.
    await waitFor(async () => (await dlq.list()).length === before.length, { timeoutMs: 10_000, message: 'the failures back' });
    const after = await dlq.list();
    expect(after.map((letter) => letter.id).some((id) => before.some((letter) => letter.id === id))).toBe(false);
    expect(after.map((letter) => `${letter.group}:${letter.eventId}`).sort()).toEqual(before.map((letter) => `${letter.group}:${letter.eventId}`).sort());
  });
});
