import { IDEMPOTENCY_KEYS_TABLE, type Migration } from '@mediamagic/database';

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
];
