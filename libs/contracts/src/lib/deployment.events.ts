import { defineEvent } from '@mediamagic/pubsub';
import { z } from 'zod';

/** Every deployment event carries the state consumers need (event-carried state transfer). */
const deployment = z.strictObject({
  deploymentId: z.uuid(),
  ownerId: z.uuid(),
  ownerEmail: z.email(),
  name: z.string().min(1),
  model: z.string().min(1),
});
const at = z.iso.datetime();

export const DeploymentCreated = defineEvent({
  subject: 'deployment.created',
  version: 1,
  delivery: 'at-least-once',
  description: 'A deployment was requested; provisioning starts.',
  schema: deployment.extend({ replicas: z.int().positive(), createdAt: at }),
});

export const DeploymentProvisioningStarted = defineEvent({
  subject: 'deployment.provisioning-started',
  version: 1,
  delivery: 'at-least-once',
  description: 'The rollout began provisioning a deployment.',
  schema: deployment.extend({ startedAt: at }),
});

/**
 * How far a rollout has come. Non-crucial (seed 003): at most once, never stored or retried; a missed one is
 * replaced by the next, and the at-least-once events carry every change of state.
 */
export const DeploymentProgress = defineEvent({
  subject: 'deployment.progress',
  version: 1,
  delivery: 'at-most-once',
  description: 'How far the rollout of a deployment has come, from 0 to 1.',
  schema: z.strictObject({ deploymentId: z.uuid(), ownerId: z.uuid(), progress: z.number().min(0).max(1), at }),
});

export const DeploymentSucceeded = defineEvent({
  subject: 'deployment.succeeded',
  version: 1,
  delivery: 'at-least-once',
  description: 'A deployment finished provisioning and is running.',
  schema: deployment.extend({ succeededAt: at }),
});

export const DeploymentFailed = defineEvent({
  subject: 'deployment.failed',
  version: 1,
  delivery: 'at-least-once',
  description: 'A deployment could not be provisioned.',
  schema: deployment.extend({ reason: z.string().min(1), failedAt: at }),
});

export const DeploymentDeleted = defineEvent({
  subject: 'deployment.deleted',
  version: 1,
  delivery: 'at-least-once',
  description: 'A deployment was deleted by its owner.',
  schema: deployment.extend({ deletedAt: at }),
});
