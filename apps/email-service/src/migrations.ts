import type { Migration } from '@mediamagic/database';
import { PROCESSED_EVENTS_TABLE } from '@mediamagic/messaging';

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
  {
    id: '002_processed_events',
    sql: `
      ${PROCESSED_EVENTS_TABLE}
      -- Events handled before, under the group that handled them: a redelivery of one sends nothing.
      insert into processed_events (consumer_group, event_id, processed_at, processed_by)
        select 'email-service', event_id, sent_at, 'before-002_processed_events' from sent_emails;`,
  },
];
