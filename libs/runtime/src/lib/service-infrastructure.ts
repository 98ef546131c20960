import type { DynamicModule } from '@nestjs/common';
import { DatabaseModule, type DatabaseOptions, type Migration } from '@mediamagic/database';
import { PubSubModule, type PubSubModuleOptions, type StreamSpec } from '@mediamagic/pubsub';

/** What a service with a database connects to; main.ts derives it from the environment, tests pass their own. */
export interface ServiceInfrastructure {
  pubsub: PubSubModuleOptions;
  database: DatabaseOptions;
}

/** NATS at NATS_ADDR with the service's streams, and its database: DATABASE_URL or embedded under DATA_DIR/<service>/db. */
export function serviceInfrastructure(
  service: string,
  env: { NATS_ADDR: string; DATA_DIR: string; DATABASE_URL?: string },
  { migrations, streams }: { migrations: readonly Migration[]; streams: readonly StreamSpec[] },
): ServiceInfrastructure {
  return {
    pubsub: { service, natsAddr: env.NATS_ADDR, streams },
    database: { url: env.DATABASE_URL, directory: `${env.DATA_DIR}/${service}/db`, migrations },
  };
}

/**
 * The database and pubsub modules, in this order on purpose: Nest stops modules of equal depth in
 * reverse order, so PubSubModule drains the handlers in flight while the database is still open.
 */
export function infrastructureModules(infrastructure: ServiceInfrastructure): DynamicModule[] {
  return [DatabaseModule.forRoot(infrastructure.database), PubSubModule.forRoot(infrastructure.pubsub)];
}
