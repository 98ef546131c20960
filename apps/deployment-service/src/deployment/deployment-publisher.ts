import { Inject, Injectable } from '@nestjs/common';
import { DeploymentCreated, DeploymentDeleted, DeploymentFailed, DeploymentSucceeded } from '@mediamagic/contracts';
import { PubSub } from '@mediamagic/pubsub';
import { createdEventOf, type StoredEvent } from './deployment-event';

/** Publishes the contract event of a committed stored event. */
@Injectable()
export class DeploymentPublisher {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {}

  /**
   * `history` ends with `event`; its creation supplies the owner's email, name and model, so that
   * consumers never have to call back (event-carried state transfer).
   */
  async publish(history: readonly StoredEvent[], event: StoredEvent): Promise<void> {
    const created = createdEventOf(history);
    const deployment = {
      deploymentId: created.deploymentId,
      ownerId: created.ownerId,
      ownerEmail: created.data.ownerEmail,
      name: created.data.name,
      model: created.data.model,
    };
    const at = event.occurredAt.toISOString();
    // One id per stored event: a publish repeated for the same event is de-duplicated by JetStream and consumers.
    const options = { id: `${event.deploymentId}:${event.version}` };
    switch (event.type) {
      case 'deployment.created':
        await this.pubsub.emit(DeploymentCreated, { ...deployment, replicas: event.data.replicas, createdAt: at }, options);
        return;
      case 'deployment.succeeded':
        await this.pubsub.emit(DeploymentSucceeded, { ...deployment, succeededAt: at }, options);
        return;
      case 'deployment.failed':
        await this.pubsub.emit(DeploymentFailed, { ...deployment, reason: event.data.reason, failedAt: at }, options);
        return;
      case 'deployment.deleted':
        await this.pubsub.emit(DeploymentDeleted, { ...deployment, deletedAt: at }, options);
        return;
      case 'deployment.provisioning-started':
        // Internal to the rollout: no other service has a use for it.
        return;
    }
  }
}
