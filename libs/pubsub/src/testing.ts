// For tests: the in-memory broker with NATS's semantics (for unit tests of handlers, never instead of
// the integration tests), the universal suite every transport passes, and a middleware that delivers twice.
export { MemoryBroker, MemoryTransport } from './lib/memory/memory.transport';
export { duplicator } from './lib/middleware';
export { readDeadLetter, type DeadLetter } from './lib/dead-letter';
export type { TrackingEvent } from './lib/tracking-event';
