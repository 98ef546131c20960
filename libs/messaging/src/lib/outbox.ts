import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@mediamagic/database';
import { CE, PubSub, type EventDefinition, type PayloadOf, type PublishOptions } from '@mediamagic/pubsub';
import type { OutboxBacklog, OutboxEntry, OutboxSource } from './outbox-source';

const CHANNEL = 'outbox';

/**
 * The outbox table, for a service's migrations. Frozen: shipped migrations use it. A published row is
 * deleted (JetStream keeps the event); `locked_until` is a relay's lease on it. The trigger wakes the
 * relays when a transaction that wrote rows commits.
 */
export const OUTBOX_TABLE = `
  create table outbox (
    id bigint generated always as identity primary key,
    subject text not null,
    headers jsonb not null,
    data bytea not null,
    created_at timestamptz not null default now(),
    locked_until timestamptz
  );
  -- On one line: migrations split statements at a semicolon that ends a line.
  create function outbox_notify() returns trigger language plpgsql as $$ begin perform pg_notify('${CHANNEL}', ''); return null; end $$;
  create trigger outbox_notify after insert on outbox for each statement execute function outbox_notify();`;

type EmitOptions = Pick<PublishOptions, 'id' | 'headers' | 'context'>;

/**
 * Writes events into the outbox inside the transaction of the change they announce: the event is
 * published if, and only if, the change commits — never a change without its event (a crash between
 * commit and publish), never an event without its change (a rollback after publish).
 */
@Injectable()
export class Outbox {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {}

  /** Validates `payload` (InvalidPayloadError) and stores the event in `tx`; returns its id. */
  async emit<D extends EventDefinition>(tx: Queryable, definition: D, payload: PayloadOf<D>, options: EmitOptions = {}): Promise<string> {
    if (definition.delivery !== 'at-least-once') {
      throw new Error(`${definition.subject} is at-most-once: publish it directly, an outbox is for events that must not be lost`);
    }
    // Built now, so the event carries this request's correlation id, idempotency key and trace.
    const { subject, headers, data } = this.pubsub.messages.event(definition, payload, options);
    await tx.query('insert into outbox (subject, headers, data) values ($1, $2::jsonb, $3)', [subject, JSON.stringify(headers), Buffer.from(data)]);
    return headers[CE.id]!;
  }
}

/** The outbox table as the relay's source. */
@Injectable()
export class OutboxTable implements OutboxSource {
  readonly channel = CHANNEL;

  constructor(@Inject(Database) private readonly db: Database) {}

  async claim(limit: number, leaseSeconds: number): Promise<OutboxEntry[]> {
    // SKIP LOCKED: relays of several instances claim disjoint rows instead of queueing behind each other.
    const rows = await this.db.query<{ id: string; subject: string; headers: Record<string, string>; data: Uint8Array }>(
      `update outbox set locked_until = now() + make_interval(secs => $2)
       where id in (
         select id from outbox where locked_until is null or locked_until < now()
         order by id limit $1 for update skip locked)
       returning id::text, subject, headers, data`,
      [limit, leaseSeconds],
    );
    return rows
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((row) => ({ key: row.id, envelope: { subject: row.subject, headers: row.headers, data: new Uint8Array(row.data) } }));
  }

  async published(keys: readonly string[]): Promise<void> {
    await this.db.query('delete from outbox where id = any($1::bigint[])', [keys]);
  }

  async release(keys: readonly string[]): Promise<void> {
    await this.db.query('update outbox set locked_until = null where id = any($1::bigint[])', [keys]);
  }

  async backlog(): Promise<OutboxBacklog> {
    const [row] = await this.db.query<{ pending: number; age: number }>(
      'select count(*)::int as pending, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age from outbox',
    );
    return { pending: row?.pending ?? 0, oldestAgeSeconds: row?.age ?? 0 };
  }
}
