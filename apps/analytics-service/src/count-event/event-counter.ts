import { Inject, Injectable } from '@nestjs/common';
import { ProcessedEvents } from '@mediamagic/messaging';
import type { Message } from '@mediamagic/pubsub';

/** Counts events by name, each event once, however often it is delivered. */
@Injectable()
export class EventCounter {
  constructor(@Inject(ProcessedEvents) private readonly processed: ProcessedEvents) {}

  /** Returns false when this event was counted before (a redelivery). */
  async count(message: Pick<Message, 'id' | 'group'>, name: string, by: number, at: Date): Promise<boolean> {
    // The event's mark and the increment are one statement: a crash cannot separate them, and one round
    // trip per event instead of four is most of what counting costs under load.
    const counted = await this.processed.onceInOneStatement(
      message,
      `insert into event_counts (name, count, last_at) select $1, $2, $3 from fresh
       on conflict (name) do update set count = event_counts.count + excluded.count, last_at = greatest(event_counts.last_at, excluded.last_at)
       returning name`,
      [name, by, at],
    );
    return counted.length > 0;
  }
}
