import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@mediamagic/database';

/** Counts events by name, each event id once, however often it is delivered. */
@Injectable()
export class EventCounter {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Returns false when this event was counted before (a redelivery). */
  count(eventId: string, name: string, by: number, at: Date): Promise<boolean> {
    // The dedup row and the increment commit together, so a crash between them cannot count twice or lose one.
    return this.db.transaction(async (tx) => {
      const fresh = await tx.query('insert into counted_events (event_id, name) values ($1, $2) on conflict do nothing returning event_id', [eventId, name]);
      if (fresh.length === 0) return false;
      await tx.query(
        `insert into event_counts (name, count, last_at) values ($1, $2, $3)
         on conflict (name) do update set count = event_counts.count + excluded.count, last_at = greatest(event_counts.last_at, excluded.last_at)`,
        [name, by, at],
      );
      return true;
    });
  }
}
