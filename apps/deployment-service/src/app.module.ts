import { Module, type DynamicModule } from '@nestjs/common';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { OutboxModule } from '@mediamagic/messaging';
import { infrastructureModules, serviceInfrastructure, type ServiceInfrastructure } from '@mediamagic/runtime';
import type { DeploymentConfig } from './config';
import { CreateDeploymentHandler } from './create-deployment/create-deployment.handler';
import { DeleteDeploymentHandler } from './delete-deployment/delete-deployment.handler';
import { DeploymentEventStore } from './deployment/deployment-event-store';
import { DeploymentEventOutbox } from './deployment/deployment-event-outbox';
import { GetDeploymentHandler } from './get-deployment/get-deployment.handler';
import { GetDeploymentEventsHandler } from './get-deployment-events/get-deployment-events.handler';
import { ListDeploymentsHandler } from './list-deployments/list-deployments.handler';
import { MIGRATIONS } from './migrations';
import { RolloutSettings, RolloutWorker } from './rollout/rollout.worker';

export const SERVICE = 'deployment-service';

/** What main.ts derives from the environment; tests pass a memory transport, a throwaway database and a short delay. */
export interface Infrastructure extends ServiceInfrastructure {
  rollout: RolloutSettings;
}

export function infrastructureFrom(config: DeploymentConfig): Infrastructure {
  return {
    ...serviceInfrastructure(SERVICE, config, { migrations: MIGRATIONS, streams: DOMAIN_STREAMS }),
    rollout: new RolloutSettings(config.PROVISIONING_DELAY_MS),
  };
}

@Module({})
export class AppModule {
  static register(infrastructure: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      imports: [...infrastructureModules(infrastructure), OutboxModule.forSource(DeploymentEventOutbox)],
      providers: [
        { provide: RolloutSettings, useValue: infrastructure.rollout },
        DeploymentEventStore,
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
