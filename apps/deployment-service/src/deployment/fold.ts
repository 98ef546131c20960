import type { DeploymentView } from '@mediamagic/contracts';
import type { z } from 'zod';
import { createdEventOf, type StoredEvent } from './deployment-event';

export type Deployment = z.output<typeof DeploymentView>;

/** The current state of a deployment, replayed from its history (oldest first). Pure. */
export function fold(history: readonly StoredEvent[]): Deployment {
  const created = createdEventOf(history);
  const { name, model, replicas } = created.data;
  const deployment: Deployment = {
    id: created.deploymentId,
    name,
    model,
    replicas,
    status: 'pending',
    ownerId: created.ownerId,
    createdAt: created.occurredAt.toISOString(),
    updatedAt: created.occurredAt.toISOString(),
  };
  for (const event of history.slice(1)) {
    deployment.updatedAt = event.occurredAt.toISOString();
    switch (event.type) {
      case 'deployment.provisioning-started':
        deployment.status = 'provisioning';
        break;
      case 'deployment.succeeded':
        deployment.status = 'running';
        break;
      case 'deployment.failed':
        deployment.status = 'failed';
        deployment.reason = event.data.reason;
        break;
      case 'deployment.deleted':
        deployment.status = 'deleted';
        break;
      case 'deployment.created':
        throw new Error(`deployment ${created.deploymentId} was created twice (version ${event.version})`);
    }
  }
  return deployment;
}
