import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, type DatabaseOptions } from '@mediamagic/database';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { PubSubModule, type PubSubModuleOptions } from '@mediamagic/pubsub';
import { CountEventHandler } from './count-event/count-event.handler';
import { EventCounter } from './count-event/event-counter';
import { GetSummaryHandler } from './get-summary/get-summary.handler';
import type { AnalyticsConfig } from './config';
import { MIGRATIONS } from './migrations';

export const SERVICE = 'analytics-service';

/** What main.ts derives from the environment; tests pass a memory transport and a throwaway database. */
export interface Infrastructure {
  pubsub: PubSubModuleOptions;
  database: DatabaseOptions;
}

export function infrastructureFrom(config: AnalyticsConfig): Infrastructure {
  return {
    pubsub: { service: SERVICE, natsAddr: config.NATS_ADDR, streams: DOMAIN_STREAMS },
    database: { url: config.DATABASE_URL, directory: `${config.DATA_DIR}/${SERVICE}/db`, migrations: MIGRATIONS },
  };
}

@Module({})
export class AppModule {
  static register(infrastructure: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      // DatabaseModule first: it then closes after PubSubModule has drained the handlers that use it.
      imports: [DatabaseModule.forRoot(infrastructure.database), PubSubModule.forRoot(infrastructure.pubsub)],
      providers: [EventCounter, CountEventHandler, GetSummaryHandler],
    };
  }
}
