export { freePort } from './lib/free-port';
export { startNatsCluster, startNatsServer, type NatsBroker, type NatsCluster, type NatsServer } from './lib/nats-server';
export { waitFor } from './lib/wait-for';
export { startSmtpServer, type SmtpServer, type RecipientRule, type Email } from './lib/smtp-server';
export { startPostgresServer, type PostgresServer } from './lib/postgres-server';
export { loadServices, serviceSpec, SERVICE_SPECS, SERVICES, ROOT, type Service, type ServiceSpec, type ServicesFile } from './lib/services';
export { Platform, databaseName, instanceName, type PlatformOptions, type ExitStatus, type EnvOverrides } from './lib/platform';
export { failureOf } from './lib/failure-of';
export { authBurst, requestFrom, signUpAndLogIn, type BurstOptions, type HttpAnswer, type SignUp, type StatusCounts } from './lib/burst';
