import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, type DatabaseOptions } from '@mediamagic/database';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { PubSubModule, type PubSubModuleOptions } from '@mediamagic/pubsub';
import type { DeploymentConfig } from './config';
import { CreateDeploymentHandler } from './create-deployment/create-deployment.handler';
import { DeleteDeploymentHandler } from './delete-deployment/delete-deployment.handler';
import { DeploymentEventStore } from './deployment/deployment-event-store';
import { DeploymentPublisher } from './deployment/deployment-publisher';
import { GetDeploymentHandler } from './get-deployment/get-deployment.handler';
import { GetDeploymentEventsHandler } from './get-deployment-events/get-deployment-events.handler';
import { ListDeploymentsHandler } from './list-deployments/list-deployments.handler';
import { MIGRATIONS } from './migrations';
import { RolloutSettings, RolloutWorker } from './rollout/rollout.worker';

export const SERVICE = 'deployment-service';

/** What main.ts derives from the environment; tests pass a memory transport, a throwaway database and a short delay. */
export interface Infrastructure {
  pubsub: PubSubModuleOptions;
  database: DatabaseOptions;
  rollout: RolloutSettings;
}

export function infrastructureFrom(config: DeploymentConfig): Infrastructure {
  return {
    pubsub: { service: SERVICE, natsAddr: config.NATS_ADDR, streams: DOMAIN_STREAMS },
    database: { url: config.DATABASE_URL, directory: `${config.DATA_DIR}/${SERVICE}/db`, migrations: MIGRATIONS },
    rollout: new RolloutSettings(config.PROVISIONING_DELAY_MS),
  };
}

@Module({})
export class AppModule {
  static register(infrastructure: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      // DatabaseModule first: it then closes after PubSubModule has drained the handlers that use it.
      imports: [DatabaseModule.forRoot(infrastructure.database), PubSubModule.forRoot(infrastructure.pubsub)],
      providers: [
        { provide: RolloutSettings, useValue: infrastructure.rollout },
        DeploymentEventStore,
        DeploymentPublisher,
        RolloutWorker,
        CreateDeploymentHandler,
        ListDeploymentsHandler,
        GetDeploymentHandler,
        GetDeploymentEventsHandler,
        DeleteDeploymentHandler,
      ],
    };
  }
}
