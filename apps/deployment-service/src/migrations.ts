import { IDEMPOTENCY_KEYS_TABLE, type Migration } from '@mediamagic/database';
import { CHANNEL } from './deployment/deployment-events.table';

export const MIGRATIONS: Migration[] = [
  {
    id: '001_deployment_events',
    sql: `
      -- The event store: append-only, never updated or deleted. The primary key is the optimistic
      -- concurrency check: of two writers appending the same version, the second gets a unique violation.
      create table deployment_events (
        deployment_id uuid not null,
        version int not null,
        type text not null,
        data jsonb not null,
        owner_id uuid not null,
        occurred_at timestamptz not null,
        correlation_id text,
        primary key (deployment_id, version)
      );
      -- Listing an owner's deployments, newest first: one row per deployment, its creation (version 1).
      create index deployment_events_by_owner on deployment_events (owner_id, occurred_at desc, deployment_id desc) where version = 1;
      ${IDEMPOTENCY_KEYS_TABLE};`,
  },
  {
    id: '002_event_store_as_outbox',
    sql: `
      -- The event store is the outbox: the relay publishes each event whose published_at is null. The
      -- events stay as they were appended; only these publication columns ever change.
      alter table deployment_events add column metadata jsonb not null default '{}';
      alter table deployment_events add column published_at timestamptz;
      alter table deployment_events add column locked_until timestamptz;
      -- Events stored before were published directly when they were appended.
      update deployment_events set published_at = occurred_at;
      create index deployment_events_unpublished on deployment_events (occurred_at) where published_at is null;
      -- On one line: migrations split statements at a semicolon that ends a line.
      create function deployment_events_notify() returns trigger language plpgsql as $$ begin perform pg_notify('${CHANNEL}', ''); return null; end $$;
      -- Only for events to publish: the rollout's own bookkeeping must not wake the relays for nothing.
      create trigger deployment_events_notify after insert on deployment_events for each row when (new.published_at is null) execute function deployment_events_notify();`,
  },
  {
    id: '003_stream_location',
    sql: `
      -- Where JetStream stores each published event, learned the first time its deliveries are read: a
      -- stream has no index by event id, so it is looked for once. A publication column, like published_at.
      alter table deployment_events add column stream text;
      alter table deployment_events add column stream_sequence bigint;`,
  },
];
