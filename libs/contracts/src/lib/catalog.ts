import type { EventDefinition } from '@mediamagic/pubsub';
import type { StreamSpec } from '@mediamagic/pubsub/nats';
import { DeploymentCreated, DeploymentDeleted, DeploymentFailed, DeploymentSucceeded } from './deployment.events';
import { UserRegistered, UserVerified } from './user.events';

/** Every domain event of the platform, for tooling (documentation, analytics) that wants them all. */
export const CATALOG: readonly EventDefinition[] = [
  UserRegistered,
  UserVerified,
  DeploymentCreated,
  DeploymentSucceeded,
  DeploymentFailed,
  DeploymentDeleted,
];

/** The JetStream streams that store the at-least-once domain events, one per aggregate. */
export const DOMAIN_STREAMS: readonly StreamSpec[] = [
  { name: 'USER', subjects: ['user.>'] },
  { name: 'DEPLOYMENT', subjects: ['deployment.>'] },
];
