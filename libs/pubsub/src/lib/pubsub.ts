import { InvalidError } from '@mediamagic/errors';
import { runInContext, contextOf } from './context';
import { deadlineFor, deadlineOf, requestBefore } from './deadline';
import { codecOf, decodePayload, type EventDefinition, type PayloadOf } from './event-definition';
import { describe, InvalidPayloadError, RemoteError } from './errors';
import { MessageBuilder, toMessage, type MessageOptions } from './message-builder';
import type { Delivery, Envelope, Message, MessageHandler } from './message';
import { applyMiddlewares, propagateContext, type Middleware } from './middleware';
import { processor, type Logger } from './processing';
import { errorReply, expiredReply, readReply, undeliverableReply, valueReply } from './reply-protocol';
import { parseRequest, type ParsedRequestOf, type RequestDefinition, type RequestOf, type ResponseOf } from './request-definition';
import { DEFAULT_RETRY, type RetryPolicy } from './retry';
import { assertGroup, assertSubject } from './subject';
import { assertStartPosition } from './start-position';
import { TRACKING_PREFIX, TrackingEventDefinition, type TrackingEvent, type TrackingEventInput } from './tracking-event';
import type { ConsumerBacklog, Subscription, Transport } from './transport';
import type {
  Answer,
  Call,
  EventSubscribeOptions,
  PubSubObserver,
  PubSubOptions,
  PublishOptions,
  ReplyOptions,
  RequestOptions,
  Send,
  SubscribeOptions,
} from './pubsub-options';

/**
 * The one way services reach the broker, one verb pair per mode: raw bytes (publish/subscribe),
 * tracking events (publishEvent/subscribeEvent), typed domain events (emit/on) and typed
 * request/reply (request/reply). Ack, retry and dead letters are `processing.ts`; message building
 * is `message-builder.ts`; what reaches the broker is the transport's.
 */
export class PubSub {
  readonly service: string;
  /** Builds messages as this service would send them: an outbox stores one now and publishes it later. */
  readonly messages: MessageBuilder;
  private readonly transport: Transport;
  private readonly middlewares: Middleware[];
  private readonly send: Send;
  private readonly observers: PubSubObserver[];
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
    this.messages = new MessageBuilder(options.service);
    this.propagateContext = options.propagateContext ?? false;
    this.middlewares = [...(this.propagateContext ? [propagateContext()] : []), ...(options.middlewares ?? [])];
    const send: Send = (envelope, delivery) => this.transport.publish(envelope, delivery);
    this.observers = options.observers ?? [];
    const publishMiddlewares = [...this.observers.flatMap((observer) => observer.publish ?? []), ...(options.publishMiddlewares ?? [])];
    this.send = publishMiddlewares.reduceRight((next, middleware) => middleware(next), send);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.logger = options.logger ?? console;
  }

  // --- Mode 1: raw bytes -------------------------------------------------------------------

  /**
   * Publishes bytes on `subject`, or a message built earlier exactly as it is (an outbox's row: at
   * least once, JetStream stores a repeat of its `ce-id` only once). Resolves with the event id.
   */
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<string>;
  publish(message: Envelope, options?: Pick<PublishOptions, 'delivery'>): Promise<string>;
  async publish(target: string | Envelope, dataOrOptions?: Uint8Array | PublishOptions, maybeOptions: PublishOptions = {}): Promise<string> {
    const [envelope, options] =
      typeof target === 'string'
        ? [this.messages.bytes(target, dataOrOptions as Uint8Array, maybeOptions), maybeOptions]
        : [target, (dataOrOptions as PublishOptions | undefined) ?? {}];
    await this.deliver(envelope, options.delivery ?? 'at-most-once');
    return envelope.headers['ce-id']!;
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
    const policy = {
      group,
      delivery,
      retry: { ...this.retry, ...options.retry },
      effects: options.effects ?? 'internal',
      storeDeadLetter: (envelope: Envelope, dedupId: string) => this.transport.publish(envelope, 'at-least-once', dedupId),
      logger: this.logger,
      observe: this.observers.flatMap((observer) => observer.process ?? []),
    };
    const from = assertStartPosition(options.from ?? 'all');
    const spec = { subject, group, delivery, concurrency, from, effects: policy.effects, ackWaitMs: options.ackWaitMs ?? 30_000 };
    return this.track(await this.transport.subscribe(spec, processor(wrapped, policy)));
  }

  // --- Mode 2: tracking events -------------------------------------------------------------

  /** Publishes on `tracking.<name>`; fills in id, source, count 1, timestamp and labels. */
  async publishEvent(input: TrackingEventInput, options: Pick<PublishOptions, 'delivery' | 'context'> = {}): Promise<TrackingEvent> {
    const { envelope, event } = this.messages.tracking(input, options);
    await this.deliver(envelope, options.delivery ?? TrackingEventDefinition.delivery);
    return event;
  }

  /** `pattern` is relative to `tracking.`: `email.sent`, `deployment.*`, `>` for all. */
  subscribeEvent(
    pattern: string,
    handler: (event: TrackingEvent, message: Message) => Promise<void> | void,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    return this.subscribeTyped(`${TRACKING_PREFIX}.${pattern}`, TrackingEventDefinition, handler, options);
  }

  // --- Typed domain events -----------------------------------------------------------------

  /** Validates `payload` against the definition (throws InvalidPayloadError), encodes and publishes it. */
  async emit<D extends EventDefinition>(definition: D, payload: PayloadOf<D>, options: MessageOptions = {}): Promise<string> {
    return this.publish(this.messages.event(definition, payload, options), { delivery: definition.delivery });
  }

  /** Handles a typed event; a payload that breaks the schema goes to the dead letters, never to `handler`. */
  on<D extends EventDefinition>(
    definition: D,
    handler: (payload: PayloadOf<D>, message: Message) => Promise<void> | void,
    options: EventSubscribeOptions = {},
  ): Promise<Subscription> {
    return this.subscribeTyped(definition.subject, definition, handler, options);
  }

  // --- Typed request/reply -----------------------------------------------------------------

  /**
   * Sends a request, carrying its deadline, and returns the reply, checked against the contract; a responder's error is
   * rethrown as RemoteError. While no service answers the subject (one starting or restarting), waits for one until the deadline.
   */
  async request<D extends RequestDefinition>(definition: D, payload: RequestOf<D>, options: RequestOptions = {}): Promise<ResponseOf<D>> {
    this.assertOpen('publish');
    const codec = codecOf(definition);
    const deadline = deadlineFor(options);
    const envelope = this.messages.request(definition.subject, codec.encode(payload), codec.contentType, { ...options, deadline });
    const call = this.observers.reduceRight<Call>(
      (next, observer) => observer.request?.(next) ?? next,
      (request) => requestBefore(this.transport, request, deadline, definition.idempotent),
    );
    const reply = readReply(await call(envelope), codec);
    const result = definition.response.safeParse(reply);
    if (!result.success) throw new RemoteError(502, `invalid reply on ${definition.subject}: ${result.error.message}`, 'BadGateway');
    return result.data as ResponseOf<D>;
  }

  /**
   * Answers requests; replicas in one group share them. A request that breaks the contract gets a 400 saying why; one
   * whose deadline (`message.deadline`) has passed is not handled and gets a 504.
   */
  async reply<D extends RequestDefinition>(
    definition: D,
    handler: (payload: ParsedRequestOf<D>, message: Message) => Promise<ResponseOf<D>> | ResponseOf<D>,
    options: ReplyOptions = {},
  ): Promise<Subscription> {
    const subject = definition.subject;
    this.assertOpen('subscribe');
    const group = options.group ?? this.service;
    assertGroup(group);
    const codec = codecOf(definition);
    const handle: Answer = async (request) => {
      try {
        const message: Message = { ...toMessage({ ...request, attempt: 1 }, group), deadline: deadlineOf(request.headers) };
        // Its caller has given up: work whose answer nobody would read is not started.
        if (message.deadline && message.deadline.getTime() <= Date.now()) return expiredReply(subject);
        const payload = parseRequest(definition, decodeRequest(request.data, codec));
        const result = this.propagateContext ? runInContext(contextOf(message), () => handler(payload, message)) : handler(payload, message);
        return valueReply(await result, codec);
      } catch (error) {
        return errorReply(error, (text) => this.logger.error(text), subject);
      }
    };
    const answer = this.observers.reduceRight<Answer>((next, observer) => observer.answer?.(next) ?? next, handle);
    return this.track(await this.transport.respond(subject, group, { answer: (request) => answer(request, group), failed: undeliverableReply }));
  }

  // --- Lifecycle ---------------------------------------------------------------------------

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

  /** Per durable consumer of this process, the messages it has still to settle (empty for a broker without them). */
  async consumerBacklog(): Promise<ConsumerBacklog[]> {
    return (await this.transport.consumerBacklog?.()) ?? [];
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

  private deliver(envelope: Envelope, delivery: Delivery): Promise<void> {
    this.assertOpen('publish');
    return this.send(envelope, delivery);
  }

  private subscribeTyped<D extends EventDefinition>(
    subject: string,
    definition: D,
    handler: (payload: PayloadOf<D>, message: Message) => Promise<void> | void,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    // Listening live to an at-least-once event: its durable consumers dead-letter a broken one, a listener only says so.
    const listening = options.delivery === 'at-most-once' && definition.delivery === 'at-least-once';
    const typed = async (message: Message) => {
      let payload: PayloadOf<D>;
      try {
        payload = decodePayload(definition, message.data);
      } catch (error) {
        if (!listening || !(error instanceof InvalidPayloadError)) throw error;
        this.logger.warn(`skipped ${message.subject} ${message.id} (group ${message.group}, listening live): ${describe(error)}`);
        return;
      }
      await handler(payload, message);
    };
    return this.subscribe(subject, typed, { ...options, delivery: options.delivery ?? definition.delivery });
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

function decodeRequest(data: Uint8Array, codec: ReturnType<typeof codecOf>): unknown {
  if (data.length === 0) return undefined;
  try {
    return codec.decode(data);
  } catch {
    throw new InvalidError(`request body is not ${codec.contentType}`);
  }
}
