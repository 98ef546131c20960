import type { Migration } from '@mediamagic/database';
import { PROCESSED_EVENTS_TABLE } from '@mediamagic/messaging';

export const MIGRATIONS: Migration[] = [
  {
    id: '001_counters',
    sql: `
      create table event_counts (
        name text primary key,
        count bigint not null,
        last_at timestamptz not null
      );
      -- One row per event counted: a redelivered event finds its id here and is not counted again.
      create table counted_events (
        event_id text primary key,
        name text not null,
        counted_at timestamptz not null default now()
      );`,
  },
  {
    id: '002_processed_events',
    sql: `
      ${PROCESSED_EVENTS_TABLE}
      -- The events counted before, under the group that counted them; the library's table takes over.
      insert into processed_events (consumer_group, event_id, processed_at, processed_by)
        select 'analytics-service', event_id, counted_at, 'before-002_processed_events' from counted_events;
      drop table counted_events;`,
  },
];
