export { UserRegistered, UserVerified } from './lib/user.events';
export {
  DeploymentCreated,
  DeploymentProvisioningStarted,
  DeploymentProgress,
  DeploymentSucceeded,
  DeploymentFailed,
  DeploymentDeleted,
} from './lib/deployment.events';
export { CATALOG, DOMAIN_STREAMS, REQUESTS } from './lib/catalog';
export { UserView, RegisterUser, VerifyEmail, AuthenticateUser, GetUser, IssueVerificationLink } from './lib/user.requests';
export {
  DEPLOYMENT_STATUSES,
  DeploymentView,
  DeploymentEventView,
  EventDelivery,
  DELIVERY_STATES,
  NewDeployment,
  CreateDeployment,
  ListDeployments,
  GetDeployment,
  GetDeploymentEvents,
  DeleteDeployment,
} from './lib/deployment.requests';
export { AnalyticsSeries, AnalyticsSummary, MAX_SERIES_POINTS, SERIES_INTERVALS } from './lib/analytics.requests';
export { evolveDeployment, foldDeployment, DEPLOYMENT_VERSION_HEADER, type Deployment, type DeploymentChange } from './lib/deployment.fold';
