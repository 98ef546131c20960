import { Inject, Injectable } from '@nestjs/common';
import { GetDeploymentEvents } from '@mediamagic/contracts';
import { type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import type { z } from 'zod';
import { DeploymentEventStore } from '../deployment/deployment-event-store';
import { DeploymentEventsTable, eventKey } from '../deployment/deployment-events.table';
import { EventDeliveries } from './event-deliveries';

// The stream stores an event when the relay publishes it, after it happened; a little earlier covers clock skew.
const CLOCK_SKEW_MS = 1_000;

@Injectable()
export class GetDeploymentEventsHandler {
  constructor(
    @Inject(DeploymentEventStore) private readonly store: DeploymentEventStore,
    @Inject(DeploymentEventsTable) private readonly table: DeploymentEventsTable,
    @Inject(EventDeliveries) private readonly deliveries: EventDeliveries,
  ) {}

  /** The stored history as is, the owner's own audit trail, each event with where it went. */
  @OnRequest(GetDeploymentEvents)
  async events({ id, ownerId }: z.output<typeof GetDeploymentEvents.request>): Promise<ResponseOf<typeof GetDeploymentEvents>> {
    const history = await this.store.owned(id, ownerId);
    const known = await this.table.locations(id);
    const deliveries = await this.deliveries.of(
      history.map((event) => ({
        id: eventKey(event),
        subject: event.type,
        time: new Date(event.occurredAt.getTime() - CLOCK_SKEW_MS),
        location: known.get(eventKey(event)),
      })),
    );
    // Found once, kept: the next read goes straight to them.
    const found = [...deliveries].filter(([key]) => !known.has(key)).map(([key, { stream, sequence }]) => [key, { stream, sequence }] as const);
    await this.table.recordLocations(new Map(found));
    return {
      items: history.map((event) => ({
        version: event.version,
        type: event.type,
        time: event.occurredAt.toISOString(),
        data: event.data,
        // An event not in the stream (not published yet, or stored before its type was published) went nowhere yet.
        deliveries: deliveries.get(eventKey(event))?.deliveries ?? [],
      })),
    };
  }
}
