export { freePort } from './lib/free-port';
export { startNatsServer, type NatsServer } from './lib/nats-server';
export { waitFor } from './lib/wait-for';
export { startSmtpServer, type SmtpServer, type RecipientRule, type Email } from './lib/smtp-server';
export { startPostgresServer, type PostgresServer } from './lib/postgres-server';
export { Platform, SERVICES, databaseName, instanceName, type Service, type PlatformOptions, type ExitStatus, type EnvOverrides } from './lib/platform';
export { failureOf } from './lib/failure-of';
