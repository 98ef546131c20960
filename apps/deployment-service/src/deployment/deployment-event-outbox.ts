import { Inject, Injectable, Logger } from '@nestjs/common';
import { DeploymentCreated, DeploymentDeleted, DeploymentFailed, DeploymentSucceeded } from '@mediamagic/contracts';
import { Database } from '@mediamagic/database';
import type { OutboxBacklog, OutboxEntry, OutboxSource } from '@mediamagic/messaging';
import { PubSub, type Envelope } from '@mediamagic/pubsub';
import type { DeploymentEvent } from './deployment-event';
import { contextOfRow, type EventRow } from './deployment-event-store';

/** Notified by the store's trigger when events are appended. */
export const CHANNEL = 'deployment_events';

interface UnpublishedRow extends EventRow {
  /** The data of the deployment's creation: owner's email, name and model for every event. */
  created: Extract<DeploymentEvent, { type: 'deployment.created' }>['data'];
}

/**
 * The event store is its own outbox: an appended event is published by the relay, so a deployment
 * never changes without its event going out, whatever crashes when. Only the publication columns
 * (`published_at`, `locked_until`) of an event row are ever updated.
 */
@Injectable()
export class DeploymentEventOutbox implements OutboxSource {
  readonly channel = CHANNEL;
  private readonly logger = new Logger(DeploymentEventOutbox.name);

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(PubSub) private readonly pubsub: PubSub,
  ) {}

  async claim(limit: number, leaseSeconds: number): Promise<OutboxEntry[]> {
    const rows = await this.db.query<UnpublishedRow>(
      // A deployment's events go out in version order, whichever instance claims them: a version waits
      // until every earlier one of its deployment is published.
      `with next as (
         select deployment_id, version from deployment_events e
         where published_at is null and (locked_until is null or locked_until < now())
           and type <> 'deployment.provisioning-started'
           and not exists (
             select 1 from deployment_events earlier
             where earlier.deployment_id = e.deployment_id and earlier.version < e.version
               and earlier.published_at is null and earlier.type <> 'deployment.provisioning-started')
         order by occurred_at, deployment_id, version limit $1
         for update skip locked)
       update deployment_events e set locked_until = now() + make_interval(secs => $2)
       from next where e.deployment_id = next.deployment_id and e.version = next.version
       returning e.deployment_id, e.version, e.type, e.data, e.owner_id, e.occurred_at, e.correlation_id, e.metadata,
         (select c.data from deployment_events c where c.deployment_id = e.deployment_id and c.version = 1) as created`,
      [limit, leaseSeconds],
    );
    const entries: OutboxEntry[] = [];
    for (const row of rows.sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime() || a.version - b.version)) {
      const key = `${row.deployment_id}:${row.version}`;
      try {
        entries.push({ key, envelope: this.envelopeOf(row) });
      } catch (error) {
        // One event that no longer fits its contract must not hold up every other: it stays claimed,
        // comes back when its lease ends, and says why each time.
        this.logger.error(`deployment event ${key} cannot be published: ${(error as Error).message}`);
      }
    }
    return entries;
  }

  async published(keys: readonly string[]): Promise<void> {
    await this.db.query(`update deployment_events set published_at = now(), locked_until = null ${WHERE_KEYS}`, splitKeys(keys));
  }

  async release(keys: readonly string[]): Promise<void> {
    await this.db.query(`update deployment_events set locked_until = null ${WHERE_KEYS}`, splitKeys(keys));
  }

  /** For the outbox metrics: the events not yet published (the progress reports never are). */
  async backlog(): Promise<OutboxBacklog> {
    const [row] = await this.db.query<{ pending: number; age: number }>(
      `select count(*)::int as pending, coalesce(extract(epoch from now() - min(occurred_at)), 0)::float8 as age
       from deployment_events where published_at is null and type <> 'deployment.provisioning-started'`,
    );
    return { pending: row?.pending ?? 0, oldestAgeSeconds: row?.age ?? 0 };
  }

  /** The contract event, with the context of whatever appended it (its request, or the rollout's). */
  private envelopeOf(row: UnpublishedRow): Envelope {
    const deployment = {
      deploymentId: row.deployment_id,
      ownerId: row.owner_id,
      ownerEmail: row.created.ownerEmail,
      name: row.created.name,
      model: row.created.model,
    };
    const at = row.occurred_at.toISOString();
    // One id per stored event: JetStream and the consumers drop a repeated publish of it.
    const options = { id: `${row.deployment_id}:${row.version}`, time: row.occurred_at, context: contextOfRow(row) };
    const event = { type: row.type, data: row.data } as DeploymentEvent;
    switch (event.type) {
      case 'deployment.created':
        return this.pubsub.messages.event(DeploymentCreated, { ...deployment, replicas: event.data.replicas, createdAt: at }, options);
      case 'deployment.succeeded':
        return this.pubsub.messages.event(DeploymentSucceeded, { ...deployment, succeededAt: at }, options);
      case 'deployment.failed':
        return this.pubsub.messages.event(DeploymentFailed, { ...deployment, reason: event.data.reason, failedAt: at }, options);
      case 'deployment.deleted':
        return this.pubsub.messages.event(DeploymentDeleted, { ...deployment, deletedAt: at }, options);
      case 'deployment.provisioning-started':
        throw new Error(`${event.type} is never published, yet ${options.id} was waiting to be`);
    }
  }
}

const WHERE_KEYS = 'where (deployment_id, version) in (select * from unnest($1::uuid[], $2::int[]))';

function splitKeys(keys: readonly string[]): [string[], number[]] {
  const pairs = keys.map((key) => key.split(':'));
  return [pairs.map(([id]) => id!), pairs.map(([, version]) => Number(version))];
}
