import type { Migration } from '@mediamagic/database';

export const MIGRATIONS: Migration[] = [
  {
    id: '001_sent_emails',
    sql: `
      -- One row per event an email was sent for: a redelivered event finds its id here and sends nothing.
      create table sent_emails (
        event_id text primary key,
        template text not null,
        recipient text not null,
        subject text not null,
        message_id text not null,
        sent_at timestamptz not null default now()
      );`,
  },
];
