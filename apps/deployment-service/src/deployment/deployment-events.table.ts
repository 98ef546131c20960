import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@mediamagic/database';
import type { MessageContext } from '@mediamagic/pubsub';
import type { DeploymentEvent, StoredEvent } from './deployment-event';

/** Notified by the table's trigger when events are appended (migrations.ts); the relay listens to it. */
export const CHANNEL = 'deployment_events';

/** Where a page of an owner's deployments starts: after this creation time and id. */
export interface ListPosition {
  createdAt: Date;
  deploymentId: string;
}

/** An event not yet published, claimed by one relay, with the data of its deployment's creation. */
export interface UnpublishedEvent {
  event: StoredEvent;
  created: Extract<DeploymentEvent, { type: 'deployment.created' }>['data'];
}

interface EventRow {
  deployment_id: string;
  version: number;
  type: StoredEvent['type'];
  data: StoredEvent['data'];
  owner_id: string;
  occurred_at: Date;
  correlation_id: string | null;
  /** The rest of the appender's context: idempotency key, causation, trace. */
  metadata: Omit<MessageContext, 'correlationId'>;
}

const COLUMNS = 'deployment_id, version, type, data, owner_id, occurred_at, correlation_id, metadata';
const WHERE_KEYS = 'where (deployment_id, version) in (select * from unnest($1::uuid[], $2::int[]))';

/**
 * The one owner of the `deployment_events` table's SQL. The store appends and reads through it, the outbox
 * claims and marks through it; neither knows the other. Events are never updated: only the publication
 * columns (`published_at`, `locked_until`, and where the stream stores it) of a row ever change.
 */
@Injectable()
export class DeploymentEventsTable {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** The deployment's events, oldest first; empty when it does not exist. */
  async history(deploymentId: string): Promise<StoredEvent[]> {
    const rows = await this.db.query<EventRow>(`select ${COLUMNS} from deployment_events where deployment_id = $1 order by version`, [deploymentId]);
    return rows.map(toEvent);
  }

  /**
   * Inserts one event, waiting for the relay to publish it. The primary key (deployment, version) is the
   * optimistic concurrency check: of two writers of the same version, the second gets a unique violation.
   * `on` is a caller's transaction (the creation commits with its idempotency key).
   */
  async insert(
    event: DeploymentEvent,
    at: { deploymentId: string; ownerId: string; version: number },
    context: MessageContext,
    on: Queryable = this.db,
  ): Promise<StoredEvent> {
    // The correlation id has had a column of its own since the first migration; the rest goes into metadata.
    const { correlationId = null, ...metadata } = context;
    const [row] = await on.query<EventRow>(
      `insert into deployment_events (${COLUMNS}) values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8::jsonb) returning ${COLUMNS}`,
      [at.deploymentId, at.version, event.type, JSON.stringify(event.data), at.ownerId, new Date(), correlationId, JSON.stringify(metadata)],
    );
    return toEvent(row!);
  }

  /** Histories of an owner's deployments, newest first, starting after `after`. */
  async listOwned(ownerId: string, limit: number, after?: ListPosition): Promise<StoredEvent[][]> {
    const page = await this.db.query<{ deployment_id: string }>(
      `select deployment_id from deployment_events
       where owner_id = $1 and version = 1 and ($2::timestamptz is null or (occurred_at, deployment_id) < ($2::timestamptz, $3::uuid))
       order by occurred_at desc, deployment_id desc
       limit $4`,
      [ownerId, after?.createdAt ?? null, after?.deploymentId ?? null, limit],
    );
    const ids = page.map((row) => row.deployment_id);
    if (ids.length === 0) return [];
    const rows = await this.db.query<EventRow>(`select ${COLUMNS} from deployment_events where deployment_id = any($1::uuid[]) order by version`, [ids]);
    const histories = new Map<string, StoredEvent[]>(ids.map((id) => [id, []]));
    for (const row of rows) histories.get(row.deployment_id)!.push(toEvent(row));
    return [...histories.values()];
  }

  /** Deployments whose rollout has not ended: no succeeded, failed or deleted event yet. */
  async unfinished(): Promise<string[]> {
    const rows = await this.db.query<{ deployment_id: string }>(
      `select deployment_id from deployment_events
       group by deployment_id
       having count(*) filter (where type in ('deployment.succeeded', 'deployment.failed', 'deployment.deleted')) = 0`,
    );
    return rows.map((row) => row.deployment_id);
  }

  /**
   * Leases up to `limit` unpublished events, oldest first. A deployment's events go out in version order,
   * whichever instance claims them: a version waits until every earlier one of its deployment is published.
   */
  async claimUnpublished(limit: number, leaseSeconds: number): Promise<UnpublishedEvent[]> {
    const rows = await this.db.query<EventRow & { created: UnpublishedEvent['created'] }>(
      `with next as (
         select deployment_id, version from deployment_events e
         where published_at is null and (locked_until is null or locked_until < now())
           and not exists (
             select 1 from deployment_events earlier
             where earlier.deployment_id = e.deployment_id and earlier.version < e.version and earlier.published_at is null)
         order by occurred_at, deployment_id, version limit $1
         for update skip locked)
       update deployment_events e set locked_until = now() + make_interval(secs => $2)
       from next where e.deployment_id = next.deployment_id and e.version = next.version
       returning ${COLUMNS.split(', ')
         .map((column) => `e.${column}`)
         .join(', ')},
         (select c.data from deployment_events c where c.deployment_id = e.deployment_id and c.version = 1) as created`,
      [limit, leaseSeconds],
    );
    return rows
      .sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime() || a.version - b.version)
      .map((row) => ({ event: toEvent(row), created: row.created }));
  }

  /** The broker stored them: never publish them again. Keys are `<deploymentId>:<version>`. */
  async markPublished(keys: readonly string[]): Promise<void> {
    await this.db.query(`update deployment_events set published_at = now(), locked_until = null ${WHERE_KEYS}`, splitKeys(keys));
  }

  /** Where JetStream stores each published event, as far as it was found; by event key. */
  async locations(deploymentId: string): Promise<Map<string, { stream: string; sequence: number }>> {
    const rows = await this.db.query<{ version: number; stream: string; stream_sequence: string }>(
      `select version, stream, stream_sequence from deployment_events where deployment_id = $1 and stream is not null`,
      [deploymentId],
    );
    return new Map(rows.map((row) => [eventKey({ deploymentId, version: row.version }), { stream: row.stream, sequence: Number(row.stream_sequence) }]));
  }

  /** Remembers where JetStream stores these events (keys as eventKey): they need not be looked for again. */
  async recordLocations(located: ReadonlyMap<string, { stream: string; sequence: number }>): Promise<void> {
    if (located.size === 0) return;
    const [ids, versions] = splitKeys([...located.keys()]);
    const values = [...located.values()];
    await this.db.query(
      `update deployment_events e set stream = l.stream, stream_sequence = l.sequence
       from unnest($1::uuid[], $2::int[], $3::text[], $4::bigint[]) as l(deployment_id, version, stream, sequence)
       where e.deployment_id = l.deployment_id and e.version = l.version`,
      [ids, versions, values.map((value) => value.stream), values.map((value) => value.sequence)],
    );
  }

  /** Publishing failed: anyone may claim them again now. */
  /** For the outbox gauges: how many events wait to be published, and for how long the oldest has. */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const [row] = await this.db.query<{ pending: number; age: number }>(
      `select count(*)::int as pending, coalesce(extract(epoch from now() - min(occurred_at)), 0)::float8 as age
       from deployment_events where published_at is null`,
    );
    return { pending: row?.pending ?? 0, oldestAgeSeconds: row?.age ?? 0 };
  }

  async release(keys: readonly string[]): Promise<void> {
    await this.db.query(`update deployment_events set locked_until = null ${WHERE_KEYS}`, splitKeys(keys));
  }
}

/** The key of an event in the outbox, and its id when published: `<deploymentId>:<version>`. */
export function eventKey(event: Pick<StoredEvent, 'deploymentId' | 'version'>): string {
  return `${event.deploymentId}:${event.version}`;
}

function splitKeys(keys: readonly string[]): [string[], number[]] {
  const pairs = keys.map((key) => key.split(':'));
  return [pairs.map(([id]) => id!), pairs.map(([, version]) => Number(version))];
}

function toEvent(row: EventRow): StoredEvent {
  return {
    deploymentId: row.deployment_id,
    version: row.version,
    type: row.type,
    data: row.data,
    ownerId: row.owner_id,
    occurredAt: row.occurred_at,
    // The context the event was appended in, as it was given to the store.
    context: { ...row.metadata, correlationId: row.correlation_id ?? undefined },
  } as StoredEvent;
}
