import type { EventDefinition, PayloadOf } from '../event-definition';
import type { Message } from '../message';
import type { ParsedRequestOf, RequestDefinition, ResponseOf } from '../request-definition';
import type { EventSubscribeOptions, ReplyOptions, SubscribeOptions } from '../pubsub-options';
import type { TrackingEvent } from '../tracking-event';

/** The metadata key under which a method's bindings are kept (Nest's `Reflector` reads it). */
export const PUBSUB_HANDLERS = 'mediamagic:pubsub:handlers';

/** How one decorated method is to be subscribed: plain data, read by the explorer at bootstrap. */
export type HandlerBinding =
  | { readonly kind: 'event'; readonly definition: EventDefinition; readonly options?: EventSubscribeOptions }
  | { readonly kind: 'tracking'; readonly pattern: string; readonly options?: SubscribeOptions }
  | { readonly kind: 'message'; readonly subject: string; readonly options?: SubscribeOptions }
  | { readonly kind: 'request'; readonly definition: RequestDefinition; readonly options?: ReplyOptions };

/** The decorator is generic in the method so a handler whose parameters do not fit is a compile error. */
function handlerDecorator<Fits extends (...args: never[]) => unknown>(binding: HandlerBinding) {
  return <M extends Fits>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    const method = descriptor.value;
    if (typeof method !== 'function') throw new Error('@On... decorates methods only');
    // Appended, not replaced (unlike SetMetadata): one method may handle several events.
    const existing = (Reflect.getMetadata(PUBSUB_HANDLERS, method) as HandlerBinding[] | undefined) ?? [];
    Reflect.defineMetadata(PUBSUB_HANDLERS, [...existing, binding], method);
  };
}

/**
 * Handles a typed domain event (`pubsub.on`). The method's class is its consumer group unless
 * `options.group` says otherwise: `<service>.<class name in kebab case, without "Handler">`.
 */
export function OnEvent<D extends EventDefinition>(definition: D, options?: EventSubscribeOptions) {
  return handlerDecorator<(payload: PayloadOf<D>, message: Message) => unknown>({ kind: 'event', definition, options });
}

/** Handles tracking events (`pubsub.subscribeEvent`); `pattern` is relative to `tracking.` (`>` for all). */
export function OnTrackingEvent(pattern: string, options?: SubscribeOptions) {
  return handlerDecorator<(event: TrackingEvent, message: Message) => unknown>({ kind: 'tracking', pattern, options });
}

/** Handles raw bytes (`pubsub.subscribe`). */
export function OnMessage(subject: string, options?: SubscribeOptions) {
  return handlerDecorator<(message: Message) => unknown>({ kind: 'message', subject, options });
}

/**
 * Answers a typed request (`pubsub.reply`) with the method's result: the payload is validated first
 * (400 when it does not match); a domain error it throws reaches the caller with its status.
 */
export function OnRequest<D extends RequestDefinition>(definition: D, options?: ReplyOptions) {
  return handlerDecorator<(payload: ParsedRequestOf<D>, message: Message) => Promise<ResponseOf<D>> | ResponseOf<D>>({
    kind: 'request',
    definition,
    options,
  });
}
