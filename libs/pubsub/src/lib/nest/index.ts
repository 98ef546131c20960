export { PubSubModule } from './pubsub.module';
export type { PubSubModuleOptions, PubSubModuleAsyncOptions } from './pubsub.module-definition';
export { PubSubClient } from './pubsub.client';
export { OnEvent, OnMessage, OnRequest, OnTrackingEvent } from './decorators';
