import { Module, type DynamicModule } from '@nestjs/common';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { ProcessedEvents } from '@mediamagic/messaging';
import { infrastructureModules, serviceInfrastructure, type ServiceInfrastructure } from '@mediamagic/runtime';
import { CountEventHandler } from './count-event/count-event.handler';
import { EventCounter } from './count-event/event-counter';
import { GetSeriesHandler } from './get-series/get-series.handler';
import { GetSummaryHandler } from './get-summary/get-summary.handler';
import type { AnalyticsConfig } from './config';
import { MIGRATIONS } from './migrations';

export const SERVICE = 'analytics-service';

/** What main.ts derives from the environment; tests pass a memory transport and a throwaway database. */
export type Infrastructure = ServiceInfrastructure;

export function infrastructureFrom(config: AnalyticsConfig): Infrastructure {
  return serviceInfrastructure(SERVICE, config, { migrations: MIGRATIONS, streams: DOMAIN_STREAMS });
}

@Module({})
export class AppModule {
  static register(infrastructure: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      imports: infrastructureModules(infrastructure),
      providers: [ProcessedEvents, EventCounter, CountEventHandler, GetSummaryHandler, GetSeriesHandler],
    };
  }
}
