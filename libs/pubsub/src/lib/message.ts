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
  /** at-least-once: the message's sequence in its stream (where a new group may start: `from: {sequence}`). */
  readonly sequence?: number;
  /** A replay re-delivered it (`npm run replay`): the group handled it before, or its state was emptied. */
  readonly replayed: boolean;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
  /**
   * A request's deadline: when its caller stops waiting for the answer. A handler is not started after it;
   * long work checks it, and hands it on to the requests it makes (`{ deadline: message.deadline }`).
   */
  readonly deadline?: Date;
}

export type MessageHandler = (message: Message) => Promise<void>;
