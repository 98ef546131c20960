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
  {
    id: '003_series',
    sql: `
      -- Counts by label value: tracking events' labels, and the few of domain events (count-event/labels.ts).
      create table label_counts (
        name text not null,
        label text not null,
        value text not null,
        count bigint not null,
        primary key (name, label, value)
      );
      -- Counts per minute of the event's own time (ce-time, a tracking event's timestamp): a replay refills the same minutes.
      create table minute_counts (
        name text not null,
        minute timestamptz not null,
        count bigint not null,
        primary key (name, minute)
      );
      create table minute_label_counts (
        name text not null,
        label text not null,
        minute timestamptz not null,
        value text not null,
        count bigint not null,
        primary key (name, label, minute, value)
      );`,
  },
];
