import { Inject, Injectable } from '@nestjs/common';
import { DeleteDeployment } from '@mediamagic/contracts';
import { contextOf, type Message, type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import type { z } from 'zod';
import { DeploymentEventStore, ownedBy } from '../deployment/deployment-event-store';
import { fold } from '../deployment/fold';

@Injectable()
export class DeleteDeploymentHandler {
  constructor(@Inject(DeploymentEventStore) private readonly store: DeploymentEventStore) {}

  /** Allowed in any status; the rollout sees the deletion at its next step and stops. */
  @OnRequest(DeleteDeployment)
  async delete({ id, ownerId }: z.output<typeof DeleteDeployment.request>, message: Message): Promise<ResponseOf<typeof DeleteDeployment>> {
    // deployment.deleted is published by the relay from the store, with this request's context.
    const { history } = await this.store.append(id, contextOf(message), (events) =>
      fold(ownedBy(events, id, ownerId)).status === 'deleted' ? null : { type: 'deployment.deleted', data: {} },
    );
    return fold(history);
  }
}
