import { foldDeployment, type Deployment, type DeploymentChange } from '@mediamagic/contracts';
import { createdEventOf, type StoredEvent } from './deployment-event';

export type { Deployment };

/** A stored event as the shared fold (libs/contracts) takes it. */
export function changeOf(event: StoredEvent): DeploymentChange {
  const { version } = event;
  const time = event.occurredAt.toISOString();
  switch (event.type) {
    case 'deployment.created': {
      const { name, model, replicas } = event.data;
      return { type: event.type, version, time, deploymentId: event.deploymentId, ownerId: event.ownerId, name, model, replicas };
    }
    case 'deployment.failed':
      return { type: event.type, version, time, reason: event.data.reason };
    default:
      return { type: event.type, version, time };
  }
}

/** The current state of a deployment, replayed from its history (oldest first). Pure. */
export function fold(history: readonly StoredEvent[]): Deployment {
  createdEventOf(history);
  return foldDeployment(history.map(changeOf));
}
