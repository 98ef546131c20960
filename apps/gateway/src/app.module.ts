import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { PubSubModule, type PubSubModuleOptions } from '@mediamagic/pubsub/nest';
import { AnalyticsController } from './analytics/analytics.controller';
import { AccessTokens } from './auth/access-tokens';
import { AuthController } from './auth/auth.controller';
import { BearerAuthGuard } from './auth/bearer-auth.guard';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { DeploymentsController } from './deployments/deployments.controller';
import { DeploymentViews } from './deployments/deployment-views';
import { HealthController } from './health/health.controller';
import { LimitsModule } from './limits/limits.module';
import { LiveController } from './live/live.controller';
import { LiveModule } from './live/live.module';
import { ErrorFilter } from './http/error-filter';
import { RequestValidationPipe } from './http/validation.pipe';
import { UsersController } from './users/users.controller';
import { VerifyController } from './verify/verify.controller';

export const SERVICE = 'gateway';

/** What main.ts derives from the environment; tests pass a memory transport. The gateway has no database. */
export interface Infrastructure {
  pubsub: PubSubModuleOptions;
  config: GatewayConfig;
}

export function infrastructureFrom(config: GatewayConfig): Infrastructure {
  // No streams: the gateway publishes nothing, and hears deployment events live only (DeploymentViews).
  // Its handlers publish nothing either, and its requests carry their context explicitly (RequestContext).
  return {
    pubsub: {
      service: SERVICE,
      natsAddr: config.NATS_ADDR,
      natsUser: config.NATS_USER,
      natsPassword: config.NATS_PASSWORD,
      streamReplicas: config.NATS_STREAM_REPLICAS,
    },
    config,
  };
}

@Module({})
export class AppModule {
  static register(infrastructure: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      imports: [PubSubModule.forRoot(infrastructure.pubsub), LimitsModule.register(infrastructure.config), LiveModule.register(infrastructure.config)],
      controllers: [UsersController, AuthController, LiveController, DeploymentsController, AnalyticsController, VerifyController, HealthController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: infrastructure.config },
        AccessTokens,
        DeploymentViews,
        BearerAuthGuard,
        { provide: APP_PIPE, useClass: RequestValidationPipe },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
