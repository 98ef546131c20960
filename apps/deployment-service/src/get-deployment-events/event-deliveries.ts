import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { UnavailableError } from '@mediamagic/errors';
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
  private readonly logger = new Logger(EventDeliveries.name);

  constructor(@Inject(DELIVERIES_SOURCE) private readonly source: DeliveriesSource | null) {}

  async of(events: readonly PublishedEvent[]): Promise<Map<string, Found>> {
    if (!this.source) return new Map();
    try {
      return await this.source.of(events);
    } catch (error) {
      // Saying "delivered nowhere" would be a lie: the caller may ask again in a moment. The cause is internal.
      this.logger.error(`cannot read where events went: ${(error as Error).message}`);
      throw new UnavailableError('where the events went cannot be read now, try again');
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.source?.close();
  }
}
