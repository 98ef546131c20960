import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { EventDeliveries as Found, PublishedEvent } from '@mediamagic/pubsub/nats';

/** What reads the broker's consumer state (JetStreamDeliveries): main.ts connects one, tests on a memory broker none. */
export interface DeliveriesSource {
  of(events: readonly PublishedEvent[]): Promise<Map<string, Found>>;
  close(): Promise<void>;
}

export const DELIVERIES_SOURCE = Symbol('DeliveriesSource');

/** Where each published event went, per consumer group; without a broker that keeps consumer state, nowhere known. */
@Injectable()
export class EventDeliveries implements OnModuleDestroy {
  constructor(@Inject(DELIVERIES_SOURCE) private readonly source: DeliveriesSource | null) {}

  async of(events: readonly PublishedEvent[]): Promise<Map<string, Found>> {
    return this.source ? this.source.of(events) : new Map();
  }

  async onModuleDestroy(): Promise<void> {
    await this.source?.close();
  }
}
