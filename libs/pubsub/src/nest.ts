// The Nest integration: `PubSubModule.forRoot(...)` provides PubSub and subscribes the decorated methods.
export { PubSubModule } from './lib/nest/pubsub.module';
export type { PubSubModuleAsyncOptions, PubSubModuleOptions } from './lib/nest/pubsub.module-definition';
export { OnEvent, OnMessage, OnRequest, OnTrackingEvent } from './lib/nest/decorators';
