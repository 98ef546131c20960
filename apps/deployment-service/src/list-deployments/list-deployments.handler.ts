import { Inject, Injectable } from '@nestjs/common';
import { ListDeployments } from '@mediamagic/contracts';
import { type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import type { z } from 'zod';
import { DeploymentEventStore } from '../deployment/deployment-event-store';
import { fold } from '../deployment/fold';
import { decodeCursor, encodeCursor } from './deployment-cursor';

@Injectable()
export class ListDeploymentsHandler {
  constructor(@Inject(DeploymentEventStore) private readonly store: DeploymentEventStore) {}

  /** Deleted deployments are listed too, with status `deleted`, as GetDeployment shows them. */
  @OnRequest(ListDeployments)
  async list({ ownerId, limit, cursor }: z.output<typeof ListDeployments.request>): Promise<ResponseOf<typeof ListDeployments>> {
    // One more than asked: whether it exists tells if there is a next page.
    const histories = await this.store.listOwned(ownerId, limit + 1, cursor === undefined ? undefined : decodeCursor(cursor));
    const items = histories.slice(0, limit).map(fold);
    const last = items.at(-1);
    return { items, nextCursor: histories.length > limit && last ? encodeCursor(last) : null };
  }
}
