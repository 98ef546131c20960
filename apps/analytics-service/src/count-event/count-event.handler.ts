import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CATALOG } from '@mediamagic/contracts';
import { CE, PubSub, type Message, type TrackingEvent } from '@mediamagic/pubsub';
import { OnTrackingEvent } from '@mediamagic/pubsub/nest';
import { EventCounter } from './event-counter';
import { domainLabels } from './labels';

// Several events at once per subscription: each is one short transaction.
const CONCURRENCY = 8;

/**
 * Counts every domain event of the catalog and every tracking event, by name, label value and minute. Its
 * state is built from the events alone: a replay (`npm run replay -- analytics-service`) rebuilds it.
 */
@Injectable()
export class CountEventHandler implements OnApplicationBootstrap {
  constructor(
    @Inject(PubSub) private readonly pubsub: PubSub,
    @Inject(EventCounter) private readonly counter: EventCounter,
  ) {}

  // The catalog is a list, not one decorated method per event: a new contract is counted without a code change here.
  async onApplicationBootstrap(): Promise<void> {
    // The group the decorator gives countTrackingEvent: one handler, one group (`<service>.<handler>`).
    const options = { group: `${this.pubsub.service}.count-event`, concurrency: CONCURRENCY };
    // Progress reports are not facts worth counting: only the stored (at-least-once) events are.
    for (const definition of CATALOG.filter((event) => event.delivery === 'at-least-once')) {
      await this.pubsub.on(definition, (payload, message) => this.countDomainEvent(definition.subject, payload, message), options);
    }
  }

  async countDomainEvent(name: string, payload: unknown, message: Message): Promise<void> {
    // ce-time comes from the publisher, perhaps another platform's: a missing or unreadable one must not stop the count.
    const time = new Date(message.headers[CE.time] ?? Date.now());
    await this.counter.count(message, name, 1, Number.isNaN(time.getTime()) ? new Date() : time, domainLabels(payload));
  }

  @OnTrackingEvent('>', { concurrency: CONCURRENCY })
  async countTrackingEvent(event: TrackingEvent, message: Message): Promise<void> {
    await this.counter.count(message, event.name, event.count, new Date(event.timestamp), event.labels);
  }
}
