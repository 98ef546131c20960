// Tracing and metrics of the messaging, as PubSub observers (`PubSubOptions.observers`); libs/runtime turns them on.
export { CORRELATION_ID, tracing } from './lib/telemetry/tracing';
export { messagingMetrics, observeConsumers } from './lib/telemetry/metrics';
