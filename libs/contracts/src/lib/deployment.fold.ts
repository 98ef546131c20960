import type { z } from 'zod';
import type { DeploymentView } from './deployment.requests';

export type Deployment = z.output<typeof DeploymentView>;

/**
 * One change of a deployment, as both its owner (deployment-service, from its event store) and a reader of
 * its events (the gateway, from the published payloads) know it: the one input of the one fold.
 */
export type DeploymentChange = { version: number; time: string } & (
  | { type: 'deployment.created'; deploymentId: string; ownerId: string; name: string; model: string; replicas: number }
  | { type: 'deployment.provisioning-started' }
  | { type: 'deployment.succeeded' }
  | { type: 'deployment.failed'; reason: string }
  | { type: 'deployment.deleted' }
);

/** The deployment after `change`; `state` is the deployment right before it (undefined before its creation). Pure. */
export function evolveDeployment(state: Deployment | undefined, change: DeploymentChange): Deployment {
  if (change.type === 'deployment.created') {
    if (state) throw new Error(`deployment ${state.id} was created twice (version ${change.version})`);
    const { deploymentId, ownerId, name, model, replicas, version, time } = change;
    return { id: deploymentId, name, model, replicas, status: 'pending', ownerId, version, createdAt: time, updatedAt: time };
  }
  if (!state) throw new Error(`a deployment history must start with deployment.created, not ${change.type}`);
  if (change.version !== state.version + 1) throw new Error(`deployment ${state.id}: version ${change.version} cannot follow ${state.version}`);
  const next: Deployment = { ...state, version: change.version, updatedAt: change.time };
  switch (change.type) {
    case 'deployment.provisioning-started':
      return { ...next, status: 'provisioning' };
    case 'deployment.succeeded':
      return { ...next, status: 'running' };
    case 'deployment.failed':
      return { ...next, status: 'failed', reason: change.reason };
    case 'deployment.deleted':
      return { ...next, status: 'deleted' };
  }
}

/** The deployment as its changes (oldest first, from version 1 on) leave it. */
export function foldDeployment(changes: Iterable<DeploymentChange>): Deployment {
  let state: Deployment | undefined;
  for (const change of changes) state = evolveDeployment(state, change);
  if (!state) throw new Error('a deployment history must start with deployment.created, not nothing');
  return state;
}

/** The message header with which deployment-service publishes each deployment event's version (its number in the history). */
export const DEPLOYMENT_VERSION_HEADER = 'deployment-version';
