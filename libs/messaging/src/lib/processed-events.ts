import { hostname } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@mediamagic/database';
import { PermanentError, type Message } from '@mediamagic/pubsub';

/**
 * The processed-event table, for a consumer's migrations. Frozen: shipped migrations use it. One row
 * per consumer group and event; `processed_by` tells which instance handled it.
 */
export const PROCESSED_EVENTS_TABLE = `
  create table processed_events (
    consumer_group text not null,
    event_id text not null,
    processed_at timestamptz not null default now(),
    processed_by text not null,
    primary key (consumer_group, event_id)
  );`;

/**
 * Marks an event processed by a group ($1, $2, $3: group, event id, instance), unless it is marked
 * already, by the group or by its legacy group ($4). Groups were once the service's name
 * (`email-service`); now each handler is its own (`email-service.notify-deployment-owner`), and its
 * new durable consumer starts at the stream's beginning: the old marks keep it from acting twice.
 */
const MARK = `insert into processed_events (consumer_group, event_id, processed_by)
  select $1, $2, $3 where not exists (select 1 from processed_events where consumer_group = $4 and event_id = $2)
  on conflict do nothing`;

/** `email-service.notify-deployment-owner` → `email-service`: the group its service had before groups were per handler. */
function legacyGroupOf(group: string): string {
  return group.split('.')[0]!;
}

/**
 * What makes a consumer idempotent: delivery is at least once, so the same event can arrive twice (a
 * redelivery after a crash, a republish). The event's mark and its effect commit in one transaction:
 * either both happened or neither did, and a second delivery — even a concurrent one, which waits on
 * the first's row — finds the mark and does nothing.
 */
@Injectable()
export class ProcessedEvents {
  /** Which instance handled an event: the pod's name in Kubernetes, with the process id. */
  readonly instance = `${hostname()}:${process.pid}`;

  constructor(@Inject(Database) private readonly db: Database) {}

  /** Runs `work` unless `message`'s group processed this event before; returns whether it ran. */
  async once(message: Pick<Message, 'id' | 'group'>, work: (tx: Queryable) => Promise<void>): Promise<boolean> {
    if (!message.id) throw new PermanentError('the event has no id (ce-id): it cannot be processed exactly once');
    return this.db.transaction(async (tx) => {
      const fresh = await tx.query(`${MARK} returning event_id`, [message.group, message.id, this.instance, legacyGroupOf(message.group)]);
      if (fresh.length === 0) return false;
      await work(tx);
      return true;
    });
  }

  /**
   * Whether `message`'s group processed this event: for an effect outside the database, which cannot
   * commit with its mark (an email). Check, do it, then mark it with `onceInOneStatement`: a crash in
   * between, or a second delivery while the first is at work, repeats the effect.
   */
  async seen(message: Pick<Message, 'id' | 'group'>): Promise<boolean> {
    if (!message.id) throw new PermanentError('the event has no id (ce-id): it cannot be processed exactly once');
    const rows = await this.db.query('select 1 from processed_events where consumer_group in ($1, $3) and event_id = $2', [
      message.group,
      message.id,
      legacyGroupOf(message.group),
    ]);
    return rows.length > 0;
  }

  /**
   * The same for an effect that is one statement, in one round trip instead of four (begin, mark,
   * effect, commit): a statement runs atomically on its own. `statement` reads from `fresh`, a table
   * of one row when the event is new and of none when it is not; its parameters are `$1`... as usual.
   * Returns its rows: none when the event was processed before (given a `returning` clause).
   */
  async onceInOneStatement<Row>(message: Pick<Message, 'id' | 'group'>, statement: string, params: readonly unknown[]): Promise<Row[]> {
    if (!message.id) throw new PermanentError('the event has no id (ce-id): it cannot be processed exactly once');
    // The mark's parameters follow the statement's: $1... stay the caller's.
    const mark = MARK.replace(/\$(\d)/g, (_, n: string) => `$${params.length + Number(n)}`);
    return this.db.query<Row>(`with fresh as (${mark} returning 1) ${statement}`, [
      ...params,
      message.group,
      message.id,
      this.instance,
      legacyGroupOf(message.group),
    ]);
  }
}
