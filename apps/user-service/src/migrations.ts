import { OUTBOX_TABLE } from '@mediamagic/messaging';
import { IDEMPOTENCY_KEYS_TABLE, type Migration } from '@mediamagic/database';

export const MIGRATIONS: Migration[] = [
  {
    id: '001_users',
    sql: `
      -- email is stored lower-case (the contracts lower-case it), so the unique constraint is case-insensitive.
      create table users (
        id uuid primary key default gen_random_uuid(),
        email text not null,
        name text not null,
        password_hash text not null,
        email_verified_at timestamptz,
        created_at timestamptz not null default now(),
        constraint users_email_key unique (email)
      );
      -- Only the sha256 of a token is kept: a leaked table holds no link anyone could use.
      create table verification_tokens (
        token_hash text primary key,
        user_id uuid not null references users (id),
        expires_at timestamptz not null,
        used_at timestamptz,
        created_at timestamptz not null default now()
      );
      create index verification_tokens_user_id on verification_tokens (user_id);
      ${IDEMPOTENCY_KEYS_TABLE};`,
  },
  {
    // Events are written with the change they announce and published by the relay (libs/messaging).
    id: '002_outbox',
    sql: OUTBOX_TABLE,
  },
];
