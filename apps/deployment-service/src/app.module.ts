import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { OutboxModule } from '@mediamagic/messaging';
import { JetStreamDeliveries } from '@mediamagic/pubsub/nats';
import { infrastructureModules, serviceInfrastructure, type ServiceInfrastructure } from '@mediamagic/runtime';
import type { DeploymentConfig } from './config';
import { CreateDeploymentHandler } from './create-deployment/create-deployment.handler';
import { DeleteDeploymentHandler } from './delete-deployment/delete-deployment.handler';
import { DeploymentEventStore } from './deployment/deployment-event-store';
import { DeploymentEventsTable } from './deployment/deployment-events.table';
import { DeploymentEventOutbox } from './deployment/deployment-event-outbox';
import { GetDeploymentHandler } from './get-deployment/get-deployment.handler';
import { DELIVERIES_SOURCE, EventDeliveries, type DeliveriesSource } from './get-deployment-events/event-deliveries';
import { GetDeploymentEventsHandler } from './get-deployment-events/get-deployment-events.handler';
import { ListDeploymentsHandler } from './list-deployments/list-deployments.handler';
import { MIGRATIONS } from './migrations';
import { RolloutSettings, RolloutWorker } from './rollout/rollout.worker';

export const SERVICE = 'deployment-service';

/** What main.ts derives from the environment; tests pass a memory transport, a throwaway database and a short delay. */
export interface Infrastructure extends ServiceInfrastructure {
  rollout: RolloutSettings;
  /** Reads where each event went from the broker; none on a memory broker. */
  deliveries?: () => Promise<DeliveriesSource>;
}

export function infrastructureFrom(config: DeploymentConfig): Infrastructure {
  return {
    ...serviceInfrastructure(SERVICE, config, { migrations: MIGRATIONS, streams: DOMAIN_STREAMS }),
    rollout: new RolloutSettings(config.PROVISIONING_DELAY_MS),
    // A connection of its own: reading consumer state is the operator's kind of work, apart from the service's traffic.
    deliveries: () => JetStreamDeliveries.connect({ servers: config.NATS_ADDR, name: SERVICE, user: config.NATS_USER, pass: config.NATS_PASSWORD }),
  };
}

/** The events table's one owner, for the store here and for the outbox that the relay (inside OutboxModule) reads. */
@Global()
@Module({ providers: [DeploymentEventsTable], exports: [DeploymentEventsTable] })
class DeploymentEventsModule {}

@Module({})
export class AppModule {
  static register(infrastructure: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      imports: [...infrastructureModules(infrastructure), DeploymentEventsModule, OutboxModule.forSource(DeploymentEventOutbox)],
      providers: [
        { provide: RolloutSettings, useValue: infrastructure.rollout },
        { provide: DELIVERIES_SOURCE, useFactory: () => infrastructure.deliveries?.() ?? null },
        EventDeliveries,
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
