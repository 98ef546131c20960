import { randomUUID } from 'node:crypto';
import { CE, cloudEventHeaders } from './cloudevents';
import { contextOf, currentContext, runInContext, TRACE_HEADERS, type MessageContext } from './context';
import { deadLetterEnvelope, deadLetterId, DL } from './dead-letter';
import { InvalidPayloadError, PermanentError, RemoteError, toRemoteError } from './errors';
import { dataschemaOf, parsePayload, type EventDefinition, type PayloadOf } from './event-definition';
import { parseRequest, type ParsedRequestOf, type RequestDefinition, type RequestOf, type ResponseOf } from './request-definition';
import type { Delivery, Envelope, Headers, Message, MessageHandler } from './message';
import { applyMiddlewares, correlation, type Middleware } from './middleware';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './retry';
import { assertGroup, assertSubject } from './subject';
import {
  TRACKING_PREFIX,
  TrackingEventDefinition,
  type TrackingEvent,
  type TrackingEventInput,
} from './tracking-event';
import { ACK, TERM, type Outcome, type Processor, type Subscription, type Transport } from './transport';

export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PubSubOptions {
  /** The service's name: the CloudEvents source, the NATS connection name and the default consumer group. */
  service: string;
  transport: Transport;
  /** Wrap every handler, outermost first, after the built-in correlation middleware. */
  middlewares?: Middleware[];
  /** Default retry policy of at-least-once subscriptions. */
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /**
   * Whether handlers run inside their message's context (AsyncLocalStorage), so that what they publish
   * carries its correlation id on its own. Default true. A process whose handlers publish nothing, or pass
   * the context themselves (`{ context: contextOf(message) }`), turns it off: on Node 20 one use of
   * AsyncLocalStorage puts async hooks on every promise of the process from then on.
   */
  propagateContext?: boolean;
}

export interface PublishOptions {
  /** Default at-most-once for raw bytes; typed events use their definition's. */
  delivery?: Delivery;
  headers?: Headers;
  /** The CloudEvents id; also the de-duplication id in JetStream. Generated when absent. */
  id?: string;
  /** The CloudEvents type; the subject when absent. */
  type?: string;
  /** When it happened (`ce-time`); now when absent. An event store passes the time the event was stored. */
  time?: Date;
  contentType?: string;
  correlationId?: string;
  idempotencyKey?: string;
  /**
   * The context to carry (correlation id, causation, idempotency key, trace); default the current one.
   * A handler of a PubSub without propagateContext passes its message's: `{ context: contextOf(message) }`.
   */
  context?: MessageContext;
}

export interface SubscribeOptions {
  /** Every group gets every message; inside a group each goes to one subscriber. Default: the service name. */
  group?: string;
  delivery?: Delivery;
  /** Messages handled at once by this subscriber (default 1: in order). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** at-least-once: where a brand-new group starts (default `all`: nothing published before it is missed). */
  from?: 'all' | 'new';
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
  timeoutMs?: number;
  headers?: Headers;
  /** The correlation id, idempotency key and trace to send; default the current context. */
  context?: MessageContext;
}

const REPLY_STATUS = 'reply-status';
const REPLY_ERROR = 'reply-error';
const JSON_TYPE = 'application/json';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The one way services reach the broker: raw bytes (publish/subscribe), tracking events
 * (publishEvent/subscribeEvent), typed domain events (emit/on) and request/reply.
 */
export class PubSub {
  readonly service: string;
  private readonly transport: Transport;
  private readonly middlewares: Middleware[];
  private readonly retry: RetryPolicy;
  private readonly logger: Logger;
  private readonly propagateContext: boolean;
  private readonly subscriptions = new Set<Subscription>();
  private readonly drainedHooks: Array<() => Promise<void>> = [];
  /** Set when close() starts: no new subscriptions, but handlers in flight may still publish. */
  private draining = false;
  private closed = false;
  private closing?: Promise<void>;

  constructor(options: PubSubOptions) {
    this.service = options.service;
    this.transport = options.transport;
    this.propagateContext = options.propagateContext ?? true;
    this.middlewares = [...(this.propagateContext ? [correlation()] : []), ...(options.middlewares ?? [])];
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.logger = options.logger ?? console;
  }

  // --- Mode 1: raw bytes -------------------------------------------------------------------

  async publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<string> {
    const envelope = this.envelope(subject, data, options);
    await this.forward(envelope, options.delivery ?? 'at-most-once');
    return envelope.headers[CE.id]!;
  }

  /**
   * Publishes an envelope exactly as it was built, earlier or elsewhere: the outbox relay's publish.
   * At least once, JetStream stores a repeat of its `ce-id` only once.
   */
  async forward(envelope: Envelope, delivery: Delivery): Promise<void> {
    this.assertOpen('publish');
    await this.transport.publish(envelope, delivery);
  }

  async subscribe(subject: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    assertSubject(subject, { wildcards: true });
    this.assertOpen('subscribe');
    const group = options.group ?? this.service;
    assertGroup(group);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10_000) {
      throw new Error(`concurrency must be an integer from 1 to 10000, not ${concurrency}`);
    }
    const delivery = options.delivery ?? 'at-most-once';
    const wrapped = applyMiddlewares(handler, [...this.middlewares, ...(options.middlewares ?? [])]);
    const retry = { ...this.retry, ...options.retry };
    const subscription = await this.transport.subscribe(
      {
        subject,
        group,
        delivery,
        concurrency,
        from: options.from ?? 'all',
        ackWaitMs: options.ackWaitMs ?? 30_000,
      },
      this.processor(group, delivery, retry, wrapped),
    );
    return this.track(subscription);
  }

  // --- Mode 2: tracking events -------------------------------------------------------------

  /** Publishes on `tracking.<name>`; fills in id, source, count 1, timestamp and labels. */
  async publishEvent(input: TrackingEventInput, options: Pick<PublishOptions, 'delivery' | 'context'> = {}): Promise<TrackingEvent> {
    const event = parsePayload(TrackingEventDefinition, {
      id: input.id ?? randomUUID(),
      name: input.name,
      source: this.service,
      count: input.count ?? 1,
      timestamp: input.timestamp ?? new Date().toISOString(),
      labels: input.labels ?? {},
    });
    await this.publishJson(`${TRACKING_PREFIX}.${event.name}`, event, TrackingEventDefinition, {
      id: event.id,
      delivery: options.delivery,
      context: options.context,
    });
    return event;
  }

  /** `pattern` is relative to `tracking.`: `email.sent`, `deployment.*`, `>` for all. */
  subscribeEvent(
    pattern: string,
    handler: (event: TrackingEvent, message: Message) => Promise<void> | void,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    return this.subscribeJson(`${TRACKING_PREFIX}.${pattern}`, TrackingEventDefinition, handler, options);
  }

  // --- Typed domain events -----------------------------------------------------------------

  /** Validates `payload` against the definition (throws InvalidPayloadError) and publishes it. */
  async emit<D extends EventDefinition>(
    definition: D,
    payload: PayloadOf<D>,
    options: Omit<PublishOptions, 'delivery' | 'type' | 'contentType'> = {},
  ): Promise<string> {
    const envelope = this.envelopeOf(definition, payload, options);
    await this.forward(envelope, definition.delivery);
    return envelope.headers[CE.id]!;
  }

  /**
   * The envelope `emit` would publish, built now: validated, with this context's correlation id,
   * idempotency key and trace. A transactional outbox stores it with the state change it announces
   * and `forward`s it once that committed.
   */
  envelopeOf<D extends EventDefinition>(
    definition: D,
    payload: PayloadOf<D>,
    options: Omit<PublishOptions, 'delivery' | 'type' | 'contentType'> = {},
  ): Envelope {
    return this.envelope(definition.subject, encodeJson(parsePayload(definition, payload)), jsonOptions(definition, options));
  }

  /** Handles a typed event; a payload that breaks the schema goes to the dead letters, never to `handler`. */
  on<D extends EventDefinition>(
    definition: D,
    handler: (payload: PayloadOf<D>, message: Message) => Promise<void> | void,
    options: EventSubscribeOptions = {},
  ): Promise<Subscription> {
    // Listening live to an at-least-once event: its durable consumers dead-letter a broken one, a listener only says so.
    const listening = options.delivery === 'at-most-once' && definition.delivery === 'at-least-once';
    return this.subscribeJson(definition.subject, definition, handler, options, listening);
  }

  // --- Request/reply -----------------------------------------------------------------------

  /** Sends a JSON request and returns the JSON reply; an error thrown by the responder is rethrown as RemoteError. */
  async request<T = unknown>(subject: string, payload: unknown, options: RequestOptions = {}): Promise<T> {
    assertSubject(subject);
    this.assertOpen('publish');
    const context = options.context ?? currentContext();
    const headers = cloudEventHeaders(
      {
        type: subject,
        source: this.service,
        contentType: JSON_TYPE,
        correlationId: context?.correlationId,
        causationId: context?.causationId,
        idempotencyKey: context?.idempotencyKey,
      },
      withTrace(options.headers, context),
    );
    const reply = await this.transport.request({ subject, data: encodeJson(payload), headers }, options.timeoutMs ?? 5_000);
    const body = reply.data.length ? JSON.parse(decoder.decode(reply.data)) : undefined;
    const status = reply.headers[REPLY_STATUS];
    if (status) throw new RemoteError(Number(status), String(body?.message ?? 'error'), reply.headers[REPLY_ERROR]);
    return body as T;
  }

  /** Answers requests on `subject`; replicas in one group share them. Thrown errors keep their status. */
  async reply(
    subject: string,
    handler: (payload: unknown, message: Message) => Promise<unknown> | unknown,
    options: Pick<SubscribeOptions, 'group'> = {},
  ): Promise<Subscription> {
    assertSubject(subject, { wildcards: true });
    this.assertOpen('subscribe');
    const group = options.group ?? this.service;
    assertGroup(group);
    const answer = async (request: Envelope): Promise<Omit<Envelope, 'subject'>> => {
      const message = toMessage({ ...request, attempt: 1 }, group);
      try {
        const payload = request.data.length ? JSON.parse(decoder.decode(request.data)) : undefined;
        const result = await (this.propagateContext ? runInContext(contextOf(message), () => handler(payload, message)) : handler(payload, message));
        return { data: encodeJson(result ?? null), headers: { [CE.contentType]: JSON_TYPE } };
      } catch (error) {
        const remote = error instanceof SyntaxError ? new RemoteError(400, 'request body is not JSON', 'BadRequest') : toRemoteError(error);
        if (remote.statusCode >= 500) this.logger.error(`reply on ${subject} failed: ${describe(error)}`);
        return {
          data: encodeJson({ statusCode: remote.statusCode, message: remote.message }),
          headers: { [CE.contentType]: JSON_TYPE, [REPLY_STATUS]: String(remote.statusCode), [REPLY_ERROR]: remote.errorName },
        };
      }
    };
    const subscription = await this.transport.respond(subject, group, {
      answer,
      failed: (error) => ({
        data: encodeJson({ statusCode: 500, message: `reply not sent: ${error.message}` }),
        headers: { [CE.contentType]: JSON_TYPE, [REPLY_STATUS]: '500' },
      }),
    });
    return this.track(subscription);
  }

  /** A typed request: the reply is checked against the contract, so the caller can trust its type. */
  async call<D extends RequestDefinition>(definition: D, payload: RequestOf<D>, options?: RequestOptions): Promise<ResponseOf<D>> {
    const reply = await this.request(definition.subject, payload, options);
    const result = definition.response.safeParse(reply);
    if (!result.success) throw new RemoteError(502, `invalid reply on ${definition.subject}: ${result.error.message}`, 'BadGateway');
    return result.data as ResponseOf<D>;
  }

  /** Answers a typed request; a request that does not match the contract gets a 400 saying why. */
  answer<D extends RequestDefinition>(
    definition: D,
    handler: (payload: ParsedRequestOf<D>, message: Message) => Promise<ResponseOf<D>> | ResponseOf<D>,
    options?: Pick<SubscribeOptions, 'group'>,
  ): Promise<Subscription> {
    return this.reply(definition.subject, (payload, message) => handler(parseRequest(definition, payload), message), options);
  }

  /** Resolves when the broker answers within `timeoutMs`: what a readiness probe asks. */
  async ping(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the broker did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.transport.ping(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Calls `listener` whenever the connection to the broker was interrupted: live (at-most-once)
   * subscribers may have missed messages since, so what they keep must be rebuilt.
   */
  onInterrupted(listener: () => void): void {
    this.transport.onInterrupted?.(listener);
  }

  /**
   * Runs `hook` during close(), once no handler runs any more and before the connection closes:
   * whatever must still be published (an outbox's last rows) goes out here.
   */
  onDrained(hook: () => Promise<void>): void {
    this.drainedHooks.push(hook);
  }

  /**
   * Stops every subscription and waits for the handlers in flight (which may still publish), runs the
   * drained hooks, then flushes and disconnects. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.draining = true;
      const results = await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
      for (const result of results) {
        if (result.status === 'rejected') this.logger.error(`a subscription did not close cleanly: ${describe(result.reason)}`);
      }
      for (const hook of this.drainedHooks) {
        await hook().catch((error: unknown) => this.logger.error(`a drained hook failed: ${describe(error)}`));
      }
      this.closed = true;
      await this.transport.close();
    })();
    return this.closing;
  }

  // --- internals ---------------------------------------------------------------------------

  private envelope(subject: string, data: Uint8Array, options: PublishOptions): Envelope {
    assertSubject(subject);
    const context = options.context ?? currentContext();
    const headers = cloudEventHeaders(
      {
        id: options.id,
        type: options.type ?? subject,
        source: this.service,
        time: options.time,
        contentType: options.contentType ?? 'application/octet-stream',
        correlationId: options.correlationId ?? context?.correlationId,
        causationId: context?.causationId,
        idempotencyKey: options.idempotencyKey ?? context?.idempotencyKey,
      },
      withTrace(options.headers, context),
    );
    return { subject, data, headers };
  }

  private async publishJson(subject: string, payload: unknown, definition: EventDefinition, options: PublishOptions): Promise<string> {
    return this.publish(subject, encodeJson(payload), jsonOptions(definition, options));
  }

  private subscribeJson<D extends EventDefinition>(
    subject: string,
    definition: D,
    handler: (payload: PayloadOf<D>, message: Message) => Promise<void> | void,
    options: SubscribeOptions,
    skipInvalid = false,
  ): Promise<Subscription> {
    return this.subscribe(
      subject,
      async (message) => {
        let payload: PayloadOf<D>;
        try {
          payload = parsePayload(definition, parseJson(message));
        } catch (error) {
          if (!skipInvalid || !(error instanceof InvalidPayloadError)) throw error;
          this.logger.warn(`skipped ${message.subject} ${message.id} (group ${message.group}, listening live): ${describe(error)}`);
          return;
        }
        await handler(payload, message);
      },
      { ...options, delivery: options.delivery ?? definition.delivery },
    );
  }

  /** Shared by every transport: run the handler, then ack, retry with backoff, or dead-letter. */
  private processor(group: string, delivery: Delivery, retry: RetryPolicy, handler: MessageHandler): Processor {
    return async (delivered) => {
      // A replayed dead letter is meant for the group that failed it; the others handled it long ago.
      const replayFor = delivered.headers[DL.replayFor];
      if (replayFor !== undefined && replayFor !== group) return ACK;
      const message = toMessage(delivered, group);
      if (delivered.attempt > retry.maxAttempts) {
        // Earlier attempts never settled (the process died or the ack was lost): do not loop forever.
        return this.deadLetter(message, `no attempt completed in ${retry.maxAttempts} deliveries`);
      }
      try {
        await handler(message);
        return ACK;
      } catch (error) {
        const reason = describe(error);
        if (error instanceof PermanentError) return this.deadLetter(message, reason);
        if (delivery === 'at-most-once') {
          this.logger.error(`handler for ${message.subject} (group ${group}) failed, message dropped (at-most-once): ${reason}`);
          return ACK;
        }
        if (message.attempt >= retry.maxAttempts) return this.deadLetter(message, reason);
        const delayMs = backoffDelay(retry, message.attempt);
        this.logger.warn(`handler for ${message.subject} (group ${group}) failed on attempt ${message.attempt}, retry in ${delayMs} ms: ${reason}`);
        return { kind: 'retry', delayMs };
      }
    };
  }

  private async deadLetter(message: Message, reason: string): Promise<Outcome> {
    const envelope = deadLetterEnvelope(message, reason);
    try {
      // Without an event id there is nothing to de-duplicate on: a random id keeps each one stored.
      await this.transport.publish(envelope, 'at-least-once', message.id ? deadLetterId(message) : randomUUID());
      this.logger.error(`dead-lettered ${message.subject} ${message.id} (group ${message.group}): ${reason}`);
      return TERM;
    } catch (error) {
      // Not stored in the dead letters: keep it with the broker rather than lose it.
      this.logger.error(`cannot dead-letter ${message.id}, will retry: ${describe(error)}`);
      return { kind: 'retry', delayMs: 1_000 };
    }
  }

  private track(subscription: Subscription): Subscription {
    this.subscriptions.add(subscription);
    return {
      subject: subscription.subject,
      group: subscription.group,
      close: async () => {
        this.subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }

  private assertOpen(operation: 'publish' | 'subscribe'): void {
    if (this.closed || (operation === 'subscribe' && this.draining)) throw new Error(`PubSub is closed: cannot ${operation}`);
  }
}

function toMessage(delivered: Envelope & { attempt: number }, group: string): Message {
  const headers = delivered.headers;
  return {
    subject: delivered.subject,
    data: delivered.data,
    headers,
    id: headers[CE.id] ?? '',
    group,
    attempt: delivered.attempt,
    correlationId: headers[CE.correlationId],
    idempotencyKey: headers[CE.idempotencyKey],
  };
}

/** The caller's trace headers, unless it set its own. */
function withTrace(headers: Headers | undefined, context: MessageContext | undefined): Headers | undefined {
  if (!context?.traceparent) return headers;
  const trace: Headers = {};
  for (const key of TRACE_HEADERS) if (context[key]) trace[key] = context[key];
  return { ...trace, ...headers };
}

function jsonOptions(definition: EventDefinition, options: PublishOptions): PublishOptions {
  return {
    ...options,
    delivery: options.delivery ?? definition.delivery,
    contentType: JSON_TYPE,
    headers: { ...options.headers, [CE.dataschema]: dataschemaOf(definition) },
  };
}

function parseJson(message: Message): unknown {
  try {
    return JSON.parse(decoder.decode(message.data));
  } catch {
    throw new InvalidPayloadError(message.subject, 'body is not JSON');
  }
}

function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
