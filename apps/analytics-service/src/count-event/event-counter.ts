import { Inject, Injectable } from '@nestjs/common';
import { ProcessedEvents } from '@mediamagic/messaging';
import type { Message } from '@mediamagic/pubsub';
import { MAX_LABEL_VALUES, OTHER_VALUE } from './labels';

/*
 * One statement counts an event everywhere: in total, per label value, per minute, per minute and label value.
 * ProcessedEvents puts its mark in front as `with fresh as (...)`; this goes on with more common table
 * expressions (hence the leading comma), each of which inserts only when `fresh` has its row: a redelivered
 * event counts nowhere. One round trip per event is most of what counting costs under load (and in a replay).
 * A label keeps at most MAX_LABEL_VALUES values apart (a racing few more at worst); later ones count as OTHER_VALUE.
 */
const COUNT = `
  , labels as (
    select l.key, case
        when exists (select 1 from label_counts c where c.name = $1 and c.label = l.key and c.value = l.value) then l.value
        when (select count(*) from label_counts c where c.name = $1 and c.label = l.key) < ${MAX_LABEL_VALUES} then l.value
        else '${OTHER_VALUE}' end as value
    from fresh, unnest($4::text[], $5::text[]) as l(key, value)
  ), minute as (
    insert into minute_counts (name, minute, count) select $1, date_trunc('minute', $3::timestamptz), $2 from fresh
    on conflict (name, minute) do update set count = minute_counts.count + excluded.count
  ), by_label as (
    insert into label_counts (name, label, value, count) select $1, key, value, $2 from labels
    on conflict (name, label, value) do update set count = label_counts.count + excluded.count
  ), by_minute_label as (
    insert into minute_label_counts (name, label, minute, value, count) select $1, key, date_trunc('minute', $3::timestamptz), value, $2 from labels
    on conflict (name, label, minute, value) do update set count = minute_label_counts.count + excluded.count
  )
  insert into event_counts (name, count, last_at) select $1, $2, $3 from fresh
  on conflict (name) do update set count = event_counts.count + excluded.count, last_at = greatest(event_counts.last_at, excluded.last_at)
  returning name`;

/** Counts events by name, label value and minute, each event once, however often it is delivered (or replayed). */
@Injectable()
export class EventCounter {
  constructor(@Inject(ProcessedEvents) private readonly processed: ProcessedEvents) {}

  /** Returns false when this event was counted before (a redelivery). */
  async count(message: Pick<Message, 'id' | 'group'>, name: string, by: number, at: Date, labels: Record<string, string> = {}): Promise<boolean> {
    const entries = Object.entries(labels);
    const counted = await this.processed.onceInOneStatement(message, COUNT, [name, by, at, entries.map(([key]) => key), entries.map(([, value]) => value)]);
    return counted.length > 0;
  }
}
