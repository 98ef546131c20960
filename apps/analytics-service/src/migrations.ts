import type { Migration } from '@mediamagic/database';

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
];
