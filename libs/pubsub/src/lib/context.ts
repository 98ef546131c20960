import { AsyncLocalStorage } from 'node:async_hooks';

/** What a handler's work inherits from the message that caused it. */
export interface MessageContext {
  correlationId?: string;
  idempotencyKey?: string;
  /** The id of the message being handled: becomes the causation id of what the handler publishes. */
  causationId?: string;
  /** W3C trace context, passed through so a tracer sees one trace across services. */
  traceparent?: string;
  tracestate?: string;
}

export const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/** The context a received message gives to the work it causes. */
export function contextOf(message: { id: string; correlationId?: string; idempotencyKey?: string; headers: Record<string, string> }): MessageContext {
  return {
    correlationId: message.correlationId ?? message.id,
    idempotencyKey: message.idempotencyKey,
    causationId: message.id,
    traceparent: message.headers['traceparent'],
    tracestate: message.headers['tracestate'],
  };
}

const storage = new AsyncLocalStorage<MessageContext>();

export function currentContext(): MessageContext | undefined {
  return storage.getStore();
}

/** Runs `work` so that every publish inside it carries `context` (used by the gateway per request, too). */
export function runInContext<T>(context: MessageContext, work: () => T): T {
  return storage.run(context, work);
}
