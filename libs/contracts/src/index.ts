export { UserRegistered, UserVerified } from './lib/user.events';
export { DeploymentCreated, DeploymentSucceeded, DeploymentFailed, DeploymentDeleted } from './lib/deployment.events';
export { CATALOG, DOMAIN_STREAMS } from './lib/catalog';
