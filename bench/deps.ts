/**
 * What the bench uses from the workspace. Imported by relative path so that `tsx bench/pubsub.bench.ts`
 * runs without tsconfig path aliases, and without pulling in the package's NestJS module (decorators).
 * These are the same functions `@mediamagic/pubsub` and `@mediamagic/testing` export.
 */
export { createPubSub } from '../libs/pubsub/src/lib/create-pubsub';
export { defineEvent } from '../libs/pubsub/src/lib/event-definition';
export type { PubSub } from '../libs/pubsub/src/lib/pubsub';
export { startNatsServer, type NatsServer } from '../libs/testing/src/lib/nats-server';
