import { openDatabase } from '@mediamagic/database';
import { defineEvent, PubSub } from '@mediamagic/pubsub';
import { MemoryTransport } from '@mediamagic/pubsub/testing';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { Outbox, OUTBOX_TABLE, OutboxTable } from './outbox';
import { observeOutbox } from './outbox-metrics';

const OrderPlaced = defineEvent({ subject: 'orders.placed', version: 1, schema: z.object({ orderId: z.string() }), delivery: 'at-least-once' });
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('the outbox metrics', () => {
  it('report the unpublished events and the age of the oldest, read from the table at each scrape', async () => {
    const db = await openDatabase({ directory: 'memory://', migrations: [{ id: '001_outbox', sql: OUTBOX_TABLE }], logger: quiet });
    const registry = new Registry();
    const table = new OutboxTable(db);
    const stop = observeOutbox(table, registry);
    try {
      const outbox = new Outbox(new PubSub({ service: 'shop', transport: new MemoryTransport(), logger: quiet }));
      const gauges = async () => {
        const text = await registry.metrics();
        const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
        return { pending: value('mediamagic_outbox_pending_events'), age: value('mediamagic_outbox_oldest_pending_age_seconds') };
      };
      expect(await gauges()).toEqual({ pending: 0, age: 0 });

      await db.transaction(async (tx) => {
        await outbox.emit(tx, OrderPlaced, { orderId: 'a' });
        await outbox.emit(tx, OrderPlaced, { orderId: 'b' });
      });
      await db.query("update outbox set created_at = now() - interval '90 seconds' where id = (select min(id) from outbox)");
      const waiting = await gauges();
      expect(waiting.pending).toBe(2);
      expect(waiting.age).toBeGreaterThanOrEqual(90);
      expect(waiting.age).toBeLessThan(120);

      const claimed = await table.claim(10, 10);
      await table.published(claimed.map((entry) => entry.key));
      expect(await gauges()).toEqual({ pending: 0, age: 0 });
    } finally {
      stop();
      await db.close();
    }
  });
});
