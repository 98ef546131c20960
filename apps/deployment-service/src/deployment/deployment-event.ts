import type { MessageContext } from '@mediamagic/pubsub';

/** What the event store holds: each fact of a deployment's life, as the service decides it. */
export type DeploymentEvent =
  | { type: 'deployment.created'; data: { name: string; model: string; replicas: number; ownerEmail: string } }
  // Also marks when the rollout started, so the delay survives a restart.
  | { type: 'deployment.provisioning-started'; data: Record<string, never> }
  | { type: 'deployment.succeeded'; data: Record<string, never> }
  | { type: 'deployment.failed'; data: { reason: string } }
  | { type: 'deployment.deleted'; data: Record<string, never> };

/** One row of `deployment_events`. */
export type StoredEvent = DeploymentEvent & {
  deploymentId: string;
  version: number;
  ownerId: string;
  occurredAt: Date;
  /** What caused it (correlation, idempotency key, causation, trace): its request's; the rollout's events keep the creating request's. */
  context: MessageContext;
};

export type CreatedEvent = Extract<StoredEvent, { type: 'deployment.created' }>;

/** The first event of every history; anything else means the store is corrupt. */
export function createdEventOf(history: readonly StoredEvent[]): CreatedEvent {
  const first = history[0];
  if (first?.type !== 'deployment.created') throw new Error(`a deployment history must start with deployment.created, not ${first?.type ?? 'nothing'}`);
  return first;
}
