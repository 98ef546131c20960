import { AsyncLocalStorage } from 'node:async_hooks';

/** What a handler's work inherits from the message that caused it. */
export interface MessageContext {
  correlationId?: string;
  idempotencyKey?: string;
  /** The id of the message being handled: becomes the causation id of what the handler publishes. */
  causationId?: string;
}

const storage = new AsyncLocalStorage<MessageContext>();

export function currentContext(): MessageContext | undefined {
  return storage.getStore();
}

/** Runs `work` so that every publish inside it carries `context` (used by the gateway per request, too). */
export function runInContext<T>(context: MessageContext, work: () => T): T {
  return storage.run(context, work);
}
