import type { EventDefinition, PayloadOf } from '../event-definition';
import type { Message } from '../message';
import type { ParsedRequestOf, RequestDefinition, ResponseOf } from '../request-definition';
import type { EventSubscribeOptions, PubSub, SubscribeOptions } from '../pubsub';
import type { TrackingEvent } from '../tracking-event';
import type { Subscription } from '../transport';

type BoundMethod = (...args: unknown[]) => unknown;

/** How one decorated method is subscribed, kept until the explorer has the instance to bind it to. */
export interface HandlerBinding {
  /** The subject or pattern, for error messages. */
  readonly subject: string;
  subscribe(pubsub: PubSub, method: BoundMethod): Promise<Subscription>;
}

// Keyed by the method's function, so a method can carry several bindings and nothing leaks onto the class.
const bindings = new WeakMap<object, HandlerBinding[]>();

export function bindingsOf(method: unknown): readonly HandlerBinding[] {
  return (typeof method === 'function' && bindings.get(method)) || [];
}

type MethodDecoratorFor<Fits extends (...args: never[]) => unknown> = ReturnType<typeof handlerDecorator<Fits>>;

/** The decorator is generic in the method so a handler whose parameters do not fit is a compile error. */
function handlerDecorator<Fits extends (...args: never[]) => unknown>(binding: HandlerBinding) {
  return <M extends Fits>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    const method = descriptor.value;
    if (typeof method !== 'function') throw new Error(`@On... decorates methods only (${binding.subject})`);
    bindings.set(method, [...bindingsOf(method), binding]);
  };
}

/** Handles a typed domain event: `pubsub.on(definition, ...)`. */
export function OnEvent<D extends EventDefinition>(definition: D, options?: EventSubscribeOptions) {
  return handlerDecorator<(payload: PayloadOf<D>, message: Message) => unknown>({
    subject: definition.subject,
    subscribe: (pubsub, method) => pubsub.on(definition, async (payload, message) => {
        await method(payload, message);
      }, options),
  });
}

/** Handles tracking events; `pattern` is relative to `tracking.` (`>` for all): `pubsub.subscribeEvent`. */
export function OnTrackingEvent(pattern: string, options?: SubscribeOptions) {
  return handlerDecorator<(event: TrackingEvent, message: Message) => unknown>({
    subject: pattern,
    subscribe: (pubsub, method) => pubsub.subscribeEvent(pattern, async (event, message) => {
        await method(event, message);
      }, options),
  });
}

/** Handles raw bytes: `pubsub.subscribe(subject, ...)`. */
export function OnMessage(subject: string, options?: SubscribeOptions) {
  return handlerDecorator<(message: Message) => unknown>({
    subject,
    subscribe: (pubsub, method) => pubsub.subscribe(subject, async (message) => {
        await method(message);
      }, options),
  });
}

/**
 * Answers requests with the method's result; what it throws keeps its status (`getStatus()`/`statusCode`).
 * With a RequestDefinition the payload is validated first (400 when it does not match) and typed.
 */
export function OnRequest<D extends RequestDefinition>(
  definition: D,
  options?: Pick<SubscribeOptions, 'group'>,
): MethodDecoratorFor<(payload: ParsedRequestOf<D>, message: Message) => Promise<ResponseOf<D>> | ResponseOf<D>>;
export function OnRequest(subject: string, options?: Pick<SubscribeOptions, 'group'>): MethodDecoratorFor<(payload: never, message: Message) => unknown>;
export function OnRequest(target: string | RequestDefinition, options?: Pick<SubscribeOptions, 'group'>) {
  if (typeof target !== 'string') {
    return handlerDecorator<(payload: never, message: Message) => unknown>({
      subject: target.subject,
      subscribe: (pubsub, method) => pubsub.answer(target, (payload, message) => method(payload, message) as never, options),
    });
  }
  // `never`: a raw request's payload is unvalidated JSON, so the method may declare whatever shape it expects.
  return handlerDecorator<(payload: never, message: Message) => unknown>({
    subject: target,
    subscribe: (pubsub, method) => pubsub.reply(target, (payload, message) => method(payload, message), options),
  });
}
