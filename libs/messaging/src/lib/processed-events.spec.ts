import { Test } from '@nestjs/testing';
import { Database, DatabaseModule, type DatabaseOptions } from '@mediamagic/database';
import { defineEvent, PubSub } from '@mediamagic/pubsub';
import { PubSubModule } from '@mediamagic/pubsub/nest';
import { duplicator, MemoryBroker, MemoryTransport } from '@mediamagic/pubsub/testing';
import { waitFor } from '@mediamagic/testing';
import { z } from 'zod';
import { PROCESSED_EVENTS_TABLE, ProcessedEvents } from './processed-events';
import { withTestDatabases } from './testing/test-databases.suite';

const PaymentReceived = defineEvent({
  subject: 'payments.received',
  version: 1,
  schema: z.object({ account: z.string(), cents: z.number() }),
  delivery: 'at-least-once',
});
const MIGRATIONS = [
  { id: '001_processed_events', sql: PROCESSED_EVENTS_TABLE },
  { id: '002_balances', sql: 'create table balances (account text primary key, cents int not null)' },
];
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Just the store, on its database. */
async function storeOn(database: Omit<DatabaseOptions, 'migrations'>) {
  const moduleRef = await Test.createTestingModule({
    imports: [DatabaseModule.forRoot({ ...database, migrations: MIGRATIONS, logger: quiet })],
    providers: [ProcessedEvents],
  }).compile();
  return moduleRef.init();
}

withTestDatabases('the processed-event store', (database) => {
  it('gives an event delivered twice (the duplicator) one effect, and records who handled it', async () => {
    const broker = new MemoryBroker();
    // Every message handled twice, as at-least-once delivery will do after a crash or a lost ack.
    const moduleRef = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ ...database(), migrations: MIGRATIONS, logger: quiet }),
        PubSubModule.forRoot({ service: 'ledger', transport: new MemoryTransport(broker), middlewares: [duplicator()], logger: quiet }),
      ],
      providers: [ProcessedEvents],
    }).compile();
    const app = await moduleRef.init();
    const db = app.get(Database);
    const processed = app.get(ProcessedEvents);
    const publisher = new PubSub({ service: 'bank', transport: new MemoryTransport(broker), logger: quiet });
    const runs: boolean[] = [];
    try {
      await app.get(PubSub).on(
        PaymentReceived,
        async ({ account, cents }, message) => {
          const ran = await processed.once(message, async (tx) => {
            await tx.query(
              'insert into balances (account, cents) values ($1, $2) on conflict (account) do update set cents = balances.cents + excluded.cents',
              [account, cents],
            );
          });
          runs.push(ran);
        },
        { concurrency: 4 },
      );
      for (let i = 0; i < 5; i++) await publisher.emit(PaymentReceived, { account: 'ada', cents: 100 });
      await waitFor(() => runs.length === 10, { timeoutMs: 5_000, message: 'every delivery handled' });
      expect(runs.filter(Boolean)).toHaveLength(5);
      expect(await db.query('select cents from balances')).toEqual([{ cents: 500 }]);
      const [{ by }] = await db.query<{ by: string }>(
        "select string_agg(distinct processed_by, ',') as by from processed_events where consumer_group = 'ledger'",
      );
      expect(by).toBe(processed.instance);
    } finally {
      await app.close();
      await publisher.close();
    }
  });

  it('rolls the mark back with a failed effect, so the retry does the work', async () => {
    const app = await storeOn(database());
    const processed = app.get(ProcessedEvents);
    const message = { id: 'payment-7', group: 'ledger-retry' };
    try {
      await expect(
        processed.once(message, async () => {
          throw new Error('SMTP away');
        }),
      ).rejects.toThrow('SMTP away');
      expect(await processed.once(message, async () => undefined)).toBe(true);
      expect(await processed.once(message, async () => undefined)).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('tells whether an event was processed, for an effect done between the check and the mark', async () => {
    const app = await storeOn(database());
    const processed = app.get(ProcessedEvents);
    const message = { id: 'payment-8', group: 'ledger-seen' };
    try {
      expect(await processed.seen(message)).toBe(false);
      expect(await processed.onceInOneStatement(message, 'select 1 from fresh', [])).toHaveLength(1);
      expect(await processed.seen(message)).toBe(true);
      // Per group: another group has not processed it.
      expect(await processed.seen({ ...message, group: 'ledger-other' })).toBe(false);
      await expect(processed.seen({ id: '', group: 'ledger-seen' })).rejects.toThrow('has no id');
    } finally {
      await app.close();
    }
  });

  it("counts a mark of the handler's service, from when groups were per service, as processed", async () => {
    const app = await storeOn(database());
    const processed = app.get(ProcessedEvents);
    const handler = { id: 'payment-9', group: 'ledger.credit-account' };
    try {
      // Marked by the whole service's group before the upgrade.
      await processed.onceInOneStatement({ ...handler, group: 'ledger' }, 'select 1 from fresh', []);
      expect(await processed.seen(handler)).toBe(true);
      expect(await processed.once(handler, async () => expect.fail('processed before, by the service'))).toBe(false);
      expect(await processed.onceInOneStatement(handler, 'select 1 from fresh', [])).toEqual([]);
      // Another service's group with the same first letters is not its legacy group.
      expect(await processed.seen({ ...handler, group: 'ledger-audit.check' })).toBe(false);
    } finally {
      await app.close();
    }
  });
});

withTestDatabases('the processed-event store in one statement', (database) => {
  it('runs the statement for a new event only, also when duplicates arrive at once', async () => {
    const app = await storeOn(database());
    const processed = app.get(ProcessedEvents);
    const credit = (id: string) =>
      processed.onceInOneStatement<{ cents: number }>(
        { id, group: 'ledger-statement' },
        `insert into balances (account, cents) select $1, $2 from fresh
         on conflict (account) do update set cents = balances.cents + excluded.cents returning cents`,
        ['bob', 100],
      );
    try {
      const runs = await Promise.all([credit('p-1'), credit('p-1'), credit('p-2'), credit('p-1')]);
      expect(runs.filter((rows) => rows.length > 0)).toHaveLength(2);
      expect(await app.get(Database).query("select cents from balances where account = 'bob'")).toEqual([{ cents: 200 }]);
    } finally {
      await app.close();
    }
  });
});
