export { Outbox, OutboxTable, OUTBOX_TABLE } from './lib/outbox';
export { OutboxRelay, type OutboxRelayOptions } from './lib/outbox-relay';
export { OUTBOX_SOURCE, type OutboxBacklog, type OutboxEntry, type OutboxSource } from './lib/outbox-source';
export { OutboxModule } from './lib/outbox.module';
export { ProcessedEvents, PROCESSED_EVENTS_TABLE } from './lib/processed-events';
