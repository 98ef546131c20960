import type { MessageOptions } from './message-builder';
import type { Delivery, Envelope, Message } from './message';
import type { Middleware } from './middleware';
import type { Logger, Processed } from './processing';
import type { RetryPolicy } from './retry';
import type { Effects, Reply, StartPosition, Transport } from './transport';

/** Sends a built message to the transport: what a publish middleware wraps (a producer span, a sent-messages counter). */
export type Send = (envelope: Envelope, delivery: Delivery) => Promise<void>;
export type PublishMiddleware = (next: Send) => Send;

/** Processes one delivery to its outcome (handler, retry or dead letter): what an observer's `process` wraps. */
export type Process = (message: Message) => Promise<Processed>;
/** Sends a request and waits for its reply. */
export type Call = (request: Envelope) => Promise<Envelope>;
/** Answers one request in `group`. */
export type Answer = (request: Envelope, group: string) => Promise<Reply>;

/**
 * Sees every message the PubSub sends, processes, requests or answers, outside the middlewares: tracing and
 * metrics (`telemetry/`). Unlike a handler middleware, `process` also sees the outcome (ack, retry, dead letter).
 */
export interface PubSubObserver {
  process?: (next: Process) => Process;
  publish?: PublishMiddleware;
  request?: (next: Call) => Call;
  answer?: (next: Answer) => Answer;
}

export interface PubSubOptions {
  /** The service's name: the CloudEvents source, the NATS connection name, the first part of its group names. */
  service: string;
  transport: Transport;
  /** Wrap every handler, outermost first. */
  middlewares?: Middleware[];
  /** Wrap every publish, outermost first. */
  publishMiddlewares?: PublishMiddleware[];
  /** Tracing and metrics, outermost first (see PubSubObserver). */
  observers?: PubSubObserver[];
  /** Default retry policy of at-least-once subscriptions. */
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /**
   * Whether handlers run inside their message's context (AsyncLocalStorage), so that what they
   * publish inherits it without `{ context: contextOf(message) }`. Default false: on Node 20 the first
   * use of AsyncLocalStorage puts async hooks on every promise of the process (see bench/context.scenario.ts).
   */
  propagateContext?: boolean;
}

export interface PublishOptions extends MessageOptions {
  /** Default at-most-once for raw bytes. */
  delivery?: Delivery;
  /** The CloudEvents type; the subject when absent. */
  type?: string;
  contentType?: string;
}

export interface SubscribeOptions {
  /** Every group gets every message; inside a group each goes to one subscriber. Default: the service name. */
  group?: string;
  delivery?: Delivery;
  /** Messages handled at once by this subscriber (default 1: in order). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** at-least-once: where a brand-new group starts (default `all`: nothing the stream retains is missed). */
  from?: StartPosition;
  /** Whether the handler acts outside the platform (default `internal`): a replay skips an `external` one. */
  effects?: Effects;
  /** at-least-once: after this long without a settle the broker redelivers (default 30 s). */
  ackWaitMs?: number;
  /** Wrap this handler only, inside the PubSub-wide middlewares. */
  middlewares?: Middleware[];
}

/**
 * A typed event's subscription. `delivery: 'at-most-once'` listens live (core NATS, no durable consumer) to
 * an at-least-once event, for what can rebuild itself after a gap, such as a cache: see `onInterrupted`.
 */
export type EventSubscribeOptions = Omit<SubscribeOptions, 'delivery'> & { delivery?: 'at-most-once' };

export interface RequestOptions {
  /** How long to wait for the answer (default 5 s, or until `deadline` when that is given). */
  timeoutMs?: number;
  /** When to stop waiting, if earlier than `timeoutMs` from now: a handler passes on its own `message.deadline`. */
  deadline?: Date;
  headers?: MessageOptions['headers'];
  /** The correlation id, idempotency key and trace to send. */
  context?: MessageOptions['context'];
}

export type ReplyOptions = Pick<SubscribeOptions, 'group'>;
