import type { Delivery, Envelope } from './message';

/** What the transport does with a delivered message once the library has processed it. */
export type Outcome = { readonly kind: 'ack' } | { readonly kind: 'retry'; readonly delayMs: number } | { readonly kind: 'term' };

export const ACK: Outcome = { kind: 'ack' };
export const TERM: Outcome = { kind: 'term' };

export interface Delivered extends Envelope {
  /** 1-based delivery count as the broker reports it. */
  readonly attempt: number;
  /** at-least-once: the message's sequence in its stream. */
  readonly sequence?: number;
  /** Re-delivered by a replay (`npm run replay`), not by the group's own progress: see `Effects`. */
  readonly replayed?: boolean;
}

/**
 * Where a new group starts: all that the stream retains, only what is published from now on, a stream
 * sequence (inclusive), or a time (the first message stored at or after it). An existing group goes on where it is.
 */
export type StartPosition = 'all' | 'new' | { readonly sequence: number } | { readonly time: Date };

/**
 * `external`: the handler acts outside the platform (sends an email): a replayed delivery skips it.
 * `internal` (the default): it only builds state of its own, which a replay rebuilds.
 */
export type Effects = 'internal' | 'external';

export interface ConsumerSpec {
  readonly subject: string;
  readonly group: string;
  readonly delivery: Delivery;
  /** Messages handled at once by this subscriber. */
  readonly concurrency: number;
  /** at-least-once: where a group that has never subscribed before starts reading. */
  readonly from: StartPosition;
  /** at-least-once: recorded on the group's consumer, so the replay tool can tell what it will skip. */
  readonly effects: Effects;
  /**
   * at-least-once: a message not settled within this time is redelivered. A running handler keeps
   * it alive (the NATS transport sends progress), so this only catches a process that died.
   */
  readonly ackWaitMs: number;
}

/** A durable consumer's waiting and unacknowledged messages. */
export interface ConsumerBacklog {
  readonly stream: string;
  readonly group: string;
  readonly pending: number;
}

/** Called for every delivery; decides ack, retry or termination. Never throws. */
export type Processor = (message: Delivered) => Promise<Outcome>;

export type Reply = Omit<Envelope, 'subject'>;

/** Answers requests for the library; the transport only carries them. */
export interface Responder {
  /** Never throws: a failure is an answer too (the library encodes it). */
  answer(request: Envelope): Promise<Reply>;
  /** The reply could not be sent (too large for the broker, say): what to send instead, so the caller is not left waiting. */
  failed(error: Error): Reply;
}

export interface Subscription {
  readonly subject: string;
  readonly group: string;
  /** Stops taking messages, waits for the ones in flight; the rest stay with the broker. */
  close(): Promise<void>;
}

/**
 * The small surface a broker must offer; everything else (CloudEvents, schemas, retries, dead
 * letters, middlewares) lives once in PubSub above it, so every transport behaves the same.
 */
export interface Transport {
  /** Resolves when the message left (at-most-once) or was stored by the broker (at-least-once). */
  publish(envelope: Envelope, delivery: Delivery, dedupId?: string): Promise<void>;
  subscribe(spec: ConsumerSpec, processor: Processor): Promise<Subscription>;
  request(envelope: Envelope, timeoutMs: number): Promise<Envelope>;
  respond(subject: string, group: string, responder: Responder): Promise<Subscription>;
  /** Resolves when the broker answers a round trip (readiness checks); rejects when it is away. */
  ping(): Promise<void>;
  /** Tells `listener` each time the connection was lost or replaced (a broker in this process never is). */
  onInterrupted?(listener: () => void): void;
  /** Messages each durable consumer of this process has still to settle, as the broker counts them (metrics). */
  consumerBacklog?(): Promise<ConsumerBacklog[]>;
  /** Flushes what is pending and disconnects. */
  close(): Promise<void>;
}
