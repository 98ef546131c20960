// What an application needs to publish, subscribe and answer. The NATS transport is in
// `@mediamagic/pubsub/nats`, the Nest module and decorators in `/nest`, the in-memory broker in `/testing`.
export { PubSub } from './lib/pubsub';
export type { EventSubscribeOptions, PubSubObserver, PubSubOptions, PublishOptions, RequestOptions, SubscribeOptions } from './lib/pubsub-options';
export type { Delivery, Envelope, Message, MessageHandler } from './lib/message';
export type { Effects, StartPosition } from './lib/transport';
export { CE } from './lib/cloudevents';
export { contextOf, type MessageContext } from './lib/context';
export { defineEvent, type EventDefinition, type PayloadOf } from './lib/event-definition';
export { defineRequest, type ParsedRequestOf, type RequestDefinition, type RequestOf, type ResponseOf } from './lib/request-definition';
export type { TrackingEvent } from './lib/tracking-event';
export type { Codec } from './lib/codec';
export { protobuf } from './lib/protobuf.codec';
export { InvalidPayloadError, PermanentError, RemoteError } from './lib/errors';
export { timeout, type Middleware } from './lib/middleware';
export type { RetryPolicy } from './lib/retry';
