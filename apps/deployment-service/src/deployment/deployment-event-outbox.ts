import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DEPLOYMENT_VERSION_HEADER,
  DeploymentCreated,
  DeploymentDeleted,
  DeploymentFailed,
  DeploymentProvisioningStarted,
  DeploymentSucceeded,
} from '@mediamagic/contracts';
import type { OutboxBacklog, OutboxEntry, OutboxSource } from '@mediamagic/messaging';
import { PubSub, type Envelope } from '@mediamagic/pubsub';
import { CHANNEL, DeploymentEventsTable, eventKey, type UnpublishedEvent } from './deployment-events.table';

/**
 * The event store is its own outbox: the relay publishes every appended event, each as its contract
 * says, in version order per deployment.
 */
@Injectable()
export class DeploymentEventOutbox implements OutboxSource {
  readonly channel = CHANNEL;
  private readonly logger = new Logger(DeploymentEventOutbox.name);

  constructor(
    @Inject(DeploymentEventsTable) private readonly table: DeploymentEventsTable,
    @Inject(PubSub) private readonly pubsub: PubSub,
  ) {}

  async claim(limit: number, leaseSeconds: number): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    for (const unpublished of await this.table.claimUnpublished(limit, leaseSeconds)) {
      const key = eventKey(unpublished.event);
      try {
        entries.push({ key, envelope: this.envelopeOf(unpublished) });
      } catch (error) {
        // One event that no longer fits its contract must not hold up every other: it stays claimed,
        // comes back when its lease ends, and says why each time.
        this.logger.error(`deployment event ${key} cannot be published: ${(error as Error).message}`);
      }
    }
    return entries;
  }

  published(keys: readonly string[]): Promise<void> {
    return this.table.markPublished(keys);
  }

  release(keys: readonly string[]): Promise<void> {
    return this.table.release(keys);
  }

  /** For the outbox gauges. */
  backlog(): Promise<OutboxBacklog> {
    return this.table.backlog();
  }

  /**
   * The contract event, with the context of whatever appended it (its request, or the rollout's), and its
   * version in a header: a reader of the stream (the live updates, the gateway's views) knows where it
   * stands in the deployment's history without asking.
   */
  private envelopeOf({ event, created }: UnpublishedEvent): Envelope {
    const deployment = { deploymentId: event.deploymentId, ownerId: event.ownerId, ownerEmail: created.ownerEmail, name: created.name, model: created.model };
    const at = event.occurredAt.toISOString();
    // One id per stored event: JetStream and the consumers drop a repeated publish of it.
    const options = { id: eventKey(event), time: event.occurredAt, context: event.context, headers: { [DEPLOYMENT_VERSION_HEADER]: String(event.version) } };
    switch (event.type) {
      case 'deployment.created':
        return this.pubsub.messages.event(DeploymentCreated, { ...deployment, replicas: event.data.replicas, createdAt: at }, options);
      case 'deployment.provisioning-started':
        return this.pubsub.messages.event(DeploymentProvisioningStarted, { ...deployment, startedAt: at }, options);
      case 'deployment.succeeded':
        return this.pubsub.messages.event(DeploymentSucceeded, { ...deployment, succeededAt: at }, options);
      case 'deployment.failed':
        return this.pubsub.messages.event(DeploymentFailed, { ...deployment, reason: event.data.reason, failedAt: at }, options);
      case 'deployment.deleted':
        return this.pubsub.messages.event(DeploymentDeleted, { ...deployment, deletedAt: at }, options);
    }
  }
}
