import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, DatabaseModule, openDatabase, type DatabaseOptions } from '@mediamagic/database';
import { defineEvent, PubSub } from '@mediamagic/pubsub';
import { PubSubModule } from '@mediamagic/pubsub/nest';
import { MemoryBroker, MemoryTransport } from '@mediamagic/pubsub/testing';
import { waitFor } from '@mediamagic/testing';
import { z } from 'zod';
import { Outbox, OUTBOX_TABLE } from './outbox';
import { OutboxRelay } from './outbox-relay';
import { OutboxModule } from './outbox.module';
import { withTestDatabases } from './testing/test-databases.suite';

const OrderPlaced = defineEvent({ subject: 'orders.placed', version: 1, schema: z.object({ orderId: z.string() }), delivery: 'at-least-once' });
const MIGRATIONS = [
  { id: '001_outbox', sql: OUTBOX_TABLE },
  { id: '002_orders', sql: 'create table orders (id text primary key)' },
];
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A shop service: its database with the outbox, and a relay that only NOTIFY wakes (the poll is a minute). */
async function startShop(broker: MemoryBroker, database: Omit<DatabaseOptions, 'migrations'>) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      DatabaseModule.forRoot({ ...database, migrations: MIGRATIONS, logger: quiet }),
      PubSubModule.forRoot({ service: 'shop', transport: new MemoryTransport(broker), logger: quiet }),
      OutboxModule.forRoot({ pollMs: 60_000 }),
    ],
  }).compile();
  moduleRef.useLogger(false);
  const app = await moduleRef.init();
  const db = app.get(Database);
  const outbox = app.get(Outbox);
  const placeOrder = (orderId: string) =>
    db.transaction(async (tx) => {
      await tx.query('insert into orders (id) values ($1)', [orderId]);
      await outbox.emit(tx, OrderPlaced, { orderId });
    });
  return { app, db, outbox, placeOrder, relay: app.get(OutboxRelay), pubsub: app.get(PubSub) };
}

async function listen(broker: MemoryBroker) {
  const received: string[] = [];
  const pubsub = new PubSub({ service: 'mailer', transport: new MemoryTransport(broker), logger: quiet });
  await pubsub.on(OrderPlaced, ({ orderId }) => void received.push(orderId));
  return { received, close: () => pubsub.close() };
}

withTestDatabases('the transactional outbox', (database) => {
  it('publishes a committed event within moments, woken by the commit, and clears it from the outbox', async () => {
    const broker = new MemoryBroker();
    const mailer = await listen(broker);
    const shop = await startShop(broker, database());
    try {
      const started = Date.now();
      await shop.placeOrder('o-1');
      await waitFor(() => mailer.received.includes('o-1'), { timeoutMs: 5_000, message: 'o-1 published' });
      // Far below the one-minute poll: NOTIFY woke the relay.
      expect(Date.now() - started).toBeLessThan(2_000);
      await waitFor(async () => (await shop.db.query('select 1 from outbox')).length === 0, { timeoutMs: 5_000, message: 'the outbox emptied' });
    } finally {
      await shop.app.close();
      await mailer.close();
    }
  });

  it('publishes nothing for a transaction that rolled back, and keeps the order of the others', async () => {
    const broker = new MemoryBroker();
    const mailer = await listen(broker);
    const shop = await startShop(broker, database());
    try {
      await expect(
        shop.db.transaction(async (tx) => {
          await shop.outbox.emit(tx, OrderPlaced, { orderId: 'rolled-back' });
          throw new Error('payment declined');
        }),
      ).rejects.toThrow('payment declined');
      for (const id of ['o-2', 'o-3', 'o-4']) await shop.placeOrder(id);
      await waitFor(() => mailer.received.length === 3, { timeoutMs: 5_000, message: 'three orders published' });
      expect(mailer.received).toEqual(['o-2', 'o-3', 'o-4']);
    } finally {
      await shop.app.close();
      await mailer.close();
    }
  });

  it('shares the work between the relays of several instances, each event published once', async (context) => {
    // Two processes on one embedded database cannot exist: this is for PostgreSQL.
    if (!database().url) return context.skip();
    const broker = new MemoryBroker();
    const mailer = await listen(broker);
    const [first, second] = [await startShop(broker, database()), await startShop(broker, database())];
    const forwarded = [vi.spyOn(first.pubsub, 'publish'), vi.spyOn(second.pubsub, 'publish')];
    try {
      const orders = Array.from({ length: 60 }, (_, i) => `multi-${i}`);
      await Promise.all(orders.map((id, i) => (i % 2 ? first : second).placeOrder(id)));
      await waitFor(() => mailer.received.filter((id) => id.startsWith('multi-')).length === orders.length, {
        timeoutMs: 10_000,
        message: 'every order published',
      });
      // Published once each: JetStream would drop a repeat, the memory broker too, so count the publishes themselves.
      expect(forwarded[0]!.mock.calls.length + forwarded[1]!.mock.calls.length).toBe(orders.length);
      expect([...mailer.received].sort()).toEqual([...orders].sort());
    } finally {
      await first.app.close();
      await second.app.close();
      await mailer.close();
    }
  });

  it('refuses an at-most-once event: an outbox is for events that must not be lost', async () => {
    const broker = new MemoryBroker();
    const shop = await startShop(broker, database());
    const Clicked = defineEvent({ subject: 'ui.clicked', version: 1, schema: z.object({}), delivery: 'at-most-once' });
    try {
      await expect(shop.db.transaction((tx) => shop.outbox.emit(tx, Clicked, {}))).rejects.toThrow(/at-most-once/);
    } finally {
      await shop.app.close();
    }
  });
});

describe('the transactional outbox across restarts', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'outbox-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('publishes what is left at the stop, and a backlog written while no relay ran at the next start', async () => {
    const broker = new MemoryBroker();
    const mailer = await listen(broker);
    const first = await startShop(broker, { directory });
    // Committed, then the service stops at once: the stop publishes it before disconnecting.
    await first.placeOrder('before-stop');
    await first.app.close();
    await waitFor(() => mailer.received.length === 1, { timeoutMs: 5_000, message: 'published by the stop' });

    // Written while no relay ran, as by a process killed right after its commits.
    const db = await openDatabase({ directory, migrations: MIGRATIONS, logger: quiet });
    const outbox = new Outbox(new PubSub({ service: 'shop', transport: new MemoryTransport(broker), logger: quiet }));
    for (const orderId of ['backlog-1', 'backlog-2']) await db.transaction((tx) => outbox.emit(tx, OrderPlaced, { orderId }));
    await db.close();

    const restarted = await startShop(broker, { directory });
    try {
      await waitFor(() => mailer.received.length === 3, { timeoutMs: 5_000, message: 'the backlog published' });
      expect(mailer.received).toEqual(['before-stop', 'backlog-1', 'backlog-2']);
    } finally {
      await restarted.app.close();
      await mailer.close();
    }
  });
});
