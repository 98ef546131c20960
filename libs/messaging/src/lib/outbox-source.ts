import type { Envelope } from '@mediamagic/pubsub';

/** An event written with the state change it announces, waiting to be published. */
export interface OutboxEntry {
  /** Identifies the entry to its source (a row id). */
  readonly key: string;
  /** The message as it is to be published; its `ce-id` is JetStream's de-duplication id. */
  readonly envelope: Envelope;
}

/**
 * Where the relay finds events to publish: the outbox table, or a table that is its own outbox (an
 * event store). Claims are leases, so that several instances share the work and a crashed one's
 * claims come free again.
 */
export interface OutboxSource {
  /** The NOTIFY channel that the source's writers signal when they commit. */
  readonly channel: string;
  /** Up to `limit` unpublished entries, oldest first, none claimed by another relay in the last `leaseSeconds`. */
  claim(limit: number, leaseSeconds: number): Promise<OutboxEntry[]>;
  /** The broker has stored them: never publish them again. */
  published(keys: readonly string[]): Promise<void>;
  /** Publishing failed: let anyone claim them again now. */
  release(keys: readonly string[]): Promise<void>;
  /** What waits to be published, for the outbox metrics (asked at each scrape). */
  backlog?(): Promise<OutboxBacklog>;
}

/** The unpublished entries: how many, and how long the oldest has waited (0 when none). */
export interface OutboxBacklog {
  readonly pending: number;
  readonly oldestAgeSeconds: number;
}

export const OUTBOX_SOURCE = Symbol('OutboxSource');
