import { Inject, Injectable } from '@nestjs/common';
import { DeleteDeployment } from '@mediamagic/contracts';
import { OnRequest, type ResponseOf } from '@mediamagic/pubsub';
import type { z } from 'zod';
import { DeploymentEventStore, ownedBy } from '../deployment/deployment-event-store';
import { DeploymentPublisher } from '../deployment/deployment-publisher';
import { fold } from '../deployment/fold';

@Injectable()
export class DeleteDeploymentHandler {
  constructor(
    @Inject(DeploymentEventStore) private readonly store: DeploymentEventStore,
    @Inject(DeploymentPublisher) private readonly publisher: DeploymentPublisher,
  ) {}

  /** Allowed in any status; the rollout sees the deletion at its next step and stops. */
  @OnRequest(DeleteDeployment)
  async delete({ id, ownerId }: z.output<typeof DeleteDeployment.request>): Promise<ResponseOf<typeof DeleteDeployment>> {
    const { history, appended } = await this.store.append(id, (events) =>
      fold(ownedBy(events, id, ownerId)).status === 'deleted' ? null : { type: 'deployment.deleted', data: {} },
    );
    if (appended) await this.publisher.publish(history, appended);
    return fold(history);
  }
}
