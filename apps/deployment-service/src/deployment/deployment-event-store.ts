import { Inject, Injectable } from '@nestjs/common';
import { Database, isUniqueViolation, type Queryable } from '@mediamagic/database';
import { ConflictError, NotFoundError } from '@mediamagic/errors';
import type { MessageContext } from '@mediamagic/pubsub';
import { createdEventOf, isPublished, type DeploymentEvent, type StoredEvent } from './deployment-event';

/** Races lost to concurrent writers before an append gives up with a conflict. */
const MAX_LOST_RACES = 3;

/** Given the history so far, the event to append, or null when there is nothing to do. May throw (e.g. NotFoundError). */
export type Decision = (history: readonly StoredEvent[]) => DeploymentEvent | null;

export interface Appended {
  /** The history including the appended event. */
  history: StoredEvent[];
  /** Null when the decision was to do nothing. */
  appended: StoredEvent | null;
}

export interface DeploymentToCreate {
  deploymentId: string;
  ownerId: string;
  ownerEmail: string;
  name: string;
  model: string;
  replicas: number;
}

/** Where a page of an owner's deployments starts: after this creation time and id. */
export interface ListPosition {
  createdAt: Date;
  deploymentId: string;
}

/** A row of `deployment_events`, as the store reads it. */
export interface EventRow {
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

/** The append-only store of deployment events, with optimistic concurrency per deployment. */
@Injectable()
export class DeploymentEventStore {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** The deployment's events, oldest first; empty when it does not exist. */
  async history(deploymentId: string): Promise<StoredEvent[]> {
    const rows = await this.db.query<EventRow>(`select ${COLUMNS} from deployment_events where deployment_id = $1 order by version`, [deploymentId]);
    return rows.map(toEvent);
  }

  /** The history of a deployment of `ownerId`; NotFoundError otherwise, with one message whether it exists or not. */
  async owned(deploymentId: string, ownerId: string): Promise<StoredEvent[]> {
    return ownedBy(await this.history(deploymentId), deploymentId, ownerId);
  }

  /**
   * Appends version 1; runs in the caller's transaction, so it commits with the idempotency key.
   * `context` is the creating request's: its event, and the rollout's after it, are published with it.
   */
  async create(tx: Queryable, deployment: DeploymentToCreate, context: MessageContext): Promise<StoredEvent> {
    const { deploymentId, ownerId, ownerEmail, name, model, replicas } = deployment;
    return this.insert(tx, { type: 'deployment.created', data: { name, model, replicas, ownerEmail } }, { deploymentId, ownerId, version: 1 }, context);
  }

  /**
   * Reads the history, asks `decide` and appends its event as the next version. When a concurrent
   * writer took that version first, reads and decides again on the newer history: the decision may
   * well change (a deleted deployment is not provisioned). `history`, when the caller has just read or
   * written it, saves reading it again: the version check still catches anything newer. `context` is
   * what caused the append (a request, or the creation the rollout follows); the event is published with it.
   */
  async append(deploymentId: string, context: MessageContext, decide: Decision, history?: readonly StoredEvent[]): Promise<Appended> {
    let current = history ?? (await this.history(deploymentId));
    for (let race = 1; ; race++) {
      const event = decide(current);
      if (!event) return { history: [...current], appended: null };
      const created = createdEventOf(current);
      try {
        const appended = await this.insert(this.db, event, { deploymentId, ownerId: created.ownerId, version: current.length + 1 }, context);
        return { history: [...current, appended], appended };
      } catch (error) {
        if (!isUniqueViolation(error, 'deployment_events_pkey')) throw error;
        if (race === MAX_LOST_RACES) throw new ConflictError(`deployment ${deploymentId} is being changed by someone else, try again`);
      }
      current = await this.history(deploymentId);
    }
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

  private async insert(
    on: Queryable,
    event: DeploymentEvent,
    at: { deploymentId: string; ownerId: string; version: number },
    context: MessageContext,
  ): Promise<StoredEvent> {
    // The correlation id has had a column of its own since the first migration; the rest goes into metadata.
    const { correlationId = null, ...metadata } = context;
    const occurredAt = new Date();
    // An event nobody outside needs is published already, as far as the relay is concerned.
    const [row] = await on.query<EventRow>(
      `insert into deployment_events (${COLUMNS}, published_at) values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8::jsonb, $9) returning ${COLUMNS}`,
      [
        at.deploymentId,
        at.version,
        event.type,
        JSON.stringify(event.data),
        at.ownerId,
        occurredAt,
        correlationId,
        JSON.stringify(metadata),
        isPublished(event.type) ? null : occurredAt,
      ],
    );
    return toEvent(row!);
  }
}

/** `history` when it belongs to `ownerId`; a NotFoundError that does not tell an unknown id from another owner's. */
export function ownedBy<H extends readonly StoredEvent[]>(history: H, deploymentId: string, ownerId: string): H {
  if (history[0]?.ownerId !== ownerId) throw new NotFoundError(`deployment ${deploymentId} not found`);
  return history;
}

function toEvent(row: EventRow): StoredEvent {
  return {
    deploymentId: row.deployment_id,
    version: row.version,
    type: row.type,
    data: row.data,
    ownerId: row.owner_id,
    occurredAt: row.occurred_at,
    context: contextOfRow(row),
  } as StoredEvent;
}

/** The context the event was appended in, as it was given to `create` or `append`. */
export function contextOfRow(row: Pick<EventRow, 'correlation_id' | 'metadata'>): MessageContext {
  return { ...row.metadata, correlationId: row.correlation_id ?? undefined };
}
