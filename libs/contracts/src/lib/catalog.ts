import type { EventDefinition, RequestDefinition } from '@mediamagic/pubsub';
import type { StreamSpec } from '@mediamagic/pubsub/nats';
import {
  DeploymentCreated,
  DeploymentDeleted,
  DeploymentFailed,
  DeploymentProgress,
  DeploymentProvisioningStarted,
  DeploymentSucceeded,
} from './deployment.events';
import { UserRegistered, UserVerified } from './user.events';
import { AnalyticsSeries, AnalyticsSummary } from './analytics.requests';
import { CreateDeployment, DeleteDeployment, GetDeployment, GetDeploymentEvents, ListDeployments } from './deployment.requests';
import { AuthenticateUser, GetUser, IssueVerificationLink, RegisterUser, VerifyEmail } from './user.requests';

/** Every domain event of the platform, for tooling (documentation, analytics) that wants them all. */
export const CATALOG: readonly EventDefinition[] = [
  UserRegistered,
  UserVerified,
  DeploymentCreated,
  DeploymentProvisioningStarted,
  DeploymentProgress,
  DeploymentSucceeded,
  DeploymentFailed,
  DeploymentDeleted,
];

/** A stream stores only at-least-once events: an at-most-once event on a stored subject would be kept and replayed. */
const storedSubjects = (prefix: string) =>
  CATALOG.filter((event) => event.delivery === 'at-least-once' && event.subject.startsWith(prefix)).map((event) => event.subject);

/** The JetStream streams that store the at-least-once domain events, one per aggregate. */
export const DOMAIN_STREAMS: readonly StreamSpec[] = [
  { name: 'USER', subjects: storedSubjects('user.') },
  { name: 'DEPLOYMENT', subjects: storedSubjects('deployment.') },
];

/** Every request/reply contract of the platform, for tooling that wants them all, as CATALOG is for events. */
export const REQUESTS: readonly RequestDefinition[] = [
  RegisterUser,
  VerifyEmail,
  AuthenticateUser,
  GetUser,
  IssueVerificationLink,
  CreateDeployment,
  ListDeployments,
  GetDeployment,
  GetDeploymentEvents,
  DeleteDeployment,
  AnalyticsSummary,
  AnalyticsSeries,
];
