import { Inject, Injectable } from '@nestjs/common';
import { GetDeployment } from '@mediamagic/contracts';
import { InvalidError } from '@mediamagic/errors';
import { type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import type { z } from 'zod';
import { DeploymentEventStore } from '../deployment/deployment-event-store';
import { fold } from '../deployment/fold';
import { rewind } from './rewind';

@Injectable()
export class GetDeploymentHandler {
  constructor(@Inject(DeploymentEventStore) private readonly store: DeploymentEventStore) {}

  /** The deployment now, or rewound: its history folded up to a version or a time. */
  @OnRequest(GetDeployment)
  async get({ id, ownerId, version, at }: z.output<typeof GetDeployment.request>): Promise<ResponseOf<typeof GetDeployment>> {
    if (version !== undefined && at !== undefined) throw new InvalidError('give version or at, not both');
    const history = await this.store.owned(id, ownerId);
    return fold(rewind(history, { version, at: at === undefined ? undefined : new Date(at) }));
  }
}
