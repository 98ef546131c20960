import { Inject, Injectable } from '@nestjs/common';
import { GetDeployment } from '@mediamagic/contracts';
import { type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import type { z } from 'zod';
import { DeploymentEventStore } from '../deployment/deployment-event-store';
import { fold } from '../deployment/fold';

@Injectable()
export class GetDeploymentHandler {
  constructor(@Inject(DeploymentEventStore) private readonly store: DeploymentEventStore) {}

  @OnRequest(GetDeployment)
  async get({ id, ownerId }: z.output<typeof GetDeployment.request>): Promise<ResponseOf<typeof GetDeployment>> {
    return fold(await this.store.owned(id, ownerId));
  }
}
