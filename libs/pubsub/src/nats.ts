// The NATS and JetStream transport, and what operators' tools need from it.
export { createPubSub, LIBRARY_STREAMS, type CreatePubSubOptions } from './lib/create-pubsub';
export { NatsTransport, DEFAULT_NATS_ADDR, type NatsTransportOptions } from './lib/nats/nats.transport';
export type { StreamSpec } from './lib/nats/streams';
export { DeadLetterQueue, type StoredDeadLetter } from './lib/nats/dead-letter-queue';
export { Replayer, type ReplayOptions, type ReplayProgress, type ReplaySummary, type ReplayTarget } from './lib/nats/replay';
export { parseDuration, streamMaxAgeFrom, DEFAULT_STREAM_MAX_AGE_MS } from './lib/duration';
export { DEAD_LETTER_PREFIX, DL, readDeadLetter, type DeadLetter } from './lib/dead-letter';
export { subjectMatches } from './lib/subject';
export {
  JetStreamDeliveries,
  reportDelivery,
  DELIVERIES_STREAM,
  DELIVERIES_PREFIX,
  type GroupDelivery,
  type DeliveryState,
  type PublishedEvent,
  type StoredLocation,
  type EventDeliveries,
} from './lib/nats/deliveries';
export { inboxPrefixOf } from './lib/nats/connection';
export { whileJetStreamAway } from './lib/nats/jetstream-api';
