/**
 * What part 1's scenarios use from the workspace, by relative path: they need neither the path aliases nor the
 * package's NestJS module. The same functions `@mediamagic/pubsub` and `@mediamagic/testing` export; the other
 * parts import those packages (npm run bench runs tsx with bench/tsconfig.run.json, which resolves the aliases).
 */
export { createPubSub } from '../libs/pubsub/src/lib/create-pubsub';
export { defineEvent } from '../libs/pubsub/src/lib/event-definition';
export type { PubSub } from '../libs/pubsub/src/lib/pubsub';
export { startNatsServer, type NatsServer } from '../libs/testing/src/lib/nats-server';
