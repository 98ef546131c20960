import { contextOf, runInContext } from './context';
import type { MessageHandler } from './message';

/**
 * Watermill-style: a plain function that wraps a handler in another handler. Tracing, metrics,
 * timeouts, de-duplication in tests: each is one of these, added with the PubSub's `middlewares`
 * (every handler) or a subscription's own.
 */
export type Middleware = (next: MessageHandler) => MessageHandler;

export function applyMiddlewares(handler: MessageHandler, middlewares: readonly Middleware[]): MessageHandler {
  // The first middleware is the outermost: it sees the message first.
  return middlewares.reduceRight((next, middleware) => middleware(next), handler);
}

/**
 * Runs the handler inside its message's context (AsyncLocalStorage), so what it publishes carries the
 * correlation id without passing it: what `propagateContext: true` adds. Off by default, see PubSubOptions.
 */
export const propagateContext = (): Middleware => (next) => (message) => runInContext(contextOf(message), () => next(message));

/** Delivers every message twice: a test of idempotency, since at-least-once delivery will do it in production. */
export const duplicator = (): Middleware => (next) => async (message) => {
  await next(message);
  await next(message);
};

/**
 * Fails a handler that runs longer than `ms`, so a hung handler is retried instead of holding its
 * slot forever. The hung call itself cannot be stopped and goes on in the background.
 */
export const timeout =
  (ms: number): Middleware =>
  (next) =>
  (message) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`handler timed out after ${ms} ms`)), ms);
    });
    return Promise.race([next(message), expired]).finally(() => clearTimeout(timer));
  };
