/** Header names are lower-case, like HTTP/2 and the CloudEvents NATS binding. */
export type Headers = Record<string, string>;

/**
 * at-most-once: core NATS, fire-and-forget; a message nobody is listening for is gone.
 * at-least-once: JetStream; stored before `publish` resolves, acked only after the handler succeeded.
 */
export type Delivery = 'at-most-once' | 'at-least-once';

/** What travels: a subject, the body and its headers (CloudEvents attributes among them). */
export interface Envelope {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Headers;
}

/** A message as a handler receives it. */
export interface Message extends Envelope {
  /** The CloudEvents id: unique per event, stable across redeliveries. */
  readonly id: string;
  /** The consumer group this delivery belongs to. */
  readonly group: string;
  /** 1 on the first delivery, then 2, 3, ... on redeliveries. */
  readonly attempt: number;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
}

export type MessageHandler = (message: Message) => Promise<void>;
