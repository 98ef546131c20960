import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, type DatabaseOptions, type Migration } from '@mediamagic/database';
import type { StreamSpec } from '@mediamagic/pubsub/nats';
import { PubSubModule, type PubSubModuleOptions } from '@mediamagic/pubsub/nest';
import { HEALTH_PORT, HealthServer } from './health-server';
import { observed } from './metrics';

/** What a service with a database connects to; main.ts derives it from the environment, tests pass their own. */
export interface ServiceInfrastructure {
  pubsub: PubSubModuleOptions;
  database: DatabaseOptions;
  /** Where /health and /health/ready listen; none when unset. */
  healthPort?: number;
}

interface ServiceEnv {
  NATS_ADDR: string;
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_STREAM_REPLICAS?: number;
  DATA_DIR: string;
  DATABASE_URL?: string;
  HEALTH_PORT?: number;
}

/**
 * NATS at NATS_ADDR with the service's streams (with the messaging metrics, and spans when tracing is on), and its
 * database: DATABASE_URL or embedded under DATA_DIR/<service>/db.
 */
export function serviceInfrastructure(
  service: string,
  env: ServiceEnv,
  { migrations, streams }: { migrations: readonly Migration[]; streams: readonly StreamSpec[] },
): ServiceInfrastructure {
  return {
    pubsub: observed({
      service,
      natsAddr: env.NATS_ADDR,
      natsUser: env.NATS_USER,
      natsPassword: env.NATS_PASSWORD,
      streamReplicas: env.NATS_STREAM_REPLICAS,
      streams,
    }),
    database: { url: env.DATABASE_URL, directory: `${env.DATA_DIR}/${service}/db`, migrations },
    healthPort: env.HEALTH_PORT,
  };
}

/**
 * The database and pubsub modules, in this order on purpose: Nest stops modules of equal depth in
 * reverse order, so PubSubModule drains the handlers in flight while the database is still open.
 * With a health port, the health endpoints too.
 */
export function infrastructureModules(infrastructure: ServiceInfrastructure): DynamicModule[] {
  const modules = [DatabaseModule.forRoot(infrastructure.database), PubSubModule.forRoot(infrastructure.pubsub)];
  if (infrastructure.healthPort === undefined) return modules;
  return [
    ...modules,
    { module: HealthModule, providers: [{ provide: HEALTH_PORT, useValue: infrastructure.healthPort }, HealthServer], exports: [HealthServer] },
  ];
}

@Module({})
class HealthModule {}
