import { Inject, Injectable } from '@nestjs/common';
import { ProcessedEvents } from '@mediamagic/messaging';
import type { Message } from '@mediamagic/pubsub';

/** Counts events by name, each event once, however often it is delivered. */
@Injectable()
export class EventCounter {
  constructor(@Inject(ProcessedEvents) private readonly processed: ProcessedEvents) {}

  /** Returns false when this event was counted before (a redelivery). */
  count(message: Pick<Message, 'id' | 'group'>, name: string, by: number, at: Date): Promise<boolean> {
    // The event's mark and the increment commit together, so a crash between them cannot count twice or lose one.
    return this.processed.once(message, async (tx) => {
      await tx.query(
        `insert into event_counts (name, count, last_at) values ($1, $2, $3)
         on conflict (name) do update set count = event_counts.count + excluded.count, last_at = greatest(event_counts.last_at, excluded.last_at)`,
        [name, by, at],
      );
    });
  }
}
