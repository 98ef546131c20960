import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CreateDeployment } from '@mediamagic/contracts';
import { Database, once, type Queryable } from '@mediamagic/database';
import { contextOf, type Message, type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import type { z } from 'zod';
import type { StoredEvent } from '../deployment/deployment-event';
import { DeploymentEventStore } from '../deployment/deployment-event-store';
import { fold } from '../deployment/fold';
import { RolloutWorker } from '../rollout/rollout.worker';

@Injectable()
export class CreateDeploymentHandler {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(DeploymentEventStore) private readonly store: DeploymentEventStore,
    @Inject(RolloutWorker) private readonly rollout: RolloutWorker,
  ) {}

  @OnRequest(CreateDeployment)
  async create(request: z.output<typeof CreateDeployment.request>, message: Message): Promise<ResponseOf<typeof CreateDeployment>> {
    const { owner, name, model, replicas } = request;
    const context = contextOf(message);
    const fresh: { created?: StoredEvent } = {};
    const create = async (on: Queryable) => {
      fresh.created = await this.store.create(on, { deploymentId: randomUUID(), ownerId: owner.id, ownerEmail: owner.email, name, model, replicas }, context);
      return fold([fresh.created]);
    };
    // Keys are per owner: one user's key can never replay another user's deployment. Without a key the
    // creation is one statement, atomic on its own: no transaction to open and commit around it.
    const { result, replayed } = message.idempotencyKey
      ? await once(this.db, `deployments.create:${owner.id}`, message.idempotencyKey, request, create)
      : { result: await create(this.db), replayed: false };
    // deployment.created is in the store, which the relay publishes. A replay is the first request's
    // answer: its rollout started back then.
    if (!replayed && fresh.created) this.rollout.start(fresh.created.deploymentId, [fresh.created]);
    return result;
  }
}
