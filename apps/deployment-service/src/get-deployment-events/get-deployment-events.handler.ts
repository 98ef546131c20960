import { Inject, Injectable } from '@nestjs/common';
import { GetDeploymentEvents } from '@mediamagic/contracts';
import { type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import type { z } from 'zod';
import { DeploymentEventStore } from '../deployment/deployment-event-store';

@Injectable()
export class GetDeploymentEventsHandler {
  constructor(@Inject(DeploymentEventStore) private readonly store: DeploymentEventStore) {}

  /** The stored history as is, internal steps included: it is the owner's own audit trail. */
  @OnRequest(GetDeploymentEvents)
  async events({ id, ownerId }: z.output<typeof GetDeploymentEvents.request>): Promise<ResponseOf<typeof GetDeploymentEvents>> {
    const history = await this.store.owned(id, ownerId);
    return { items: history.map((event) => ({ version: event.version, type: event.type, time: event.occurredAt.toISOString(), data: event.data })) };
  }
}
