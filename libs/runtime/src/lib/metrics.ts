import { collectDefaultMetrics, register, type Registry } from 'prom-client';
import type { PubSubModuleOptions } from '@mediamagic/pubsub/nest';
import { messagingMetrics, tracing } from '@mediamagic/pubsub/telemetry';
import { debugLogging, logMessages } from './logging';
import { tracingState } from './tracing-state';

let defaultsCollected = false;

/**
 * The process's metrics, served on `/metrics`: prom-client's default registry (the messaging and outbox metrics
 * register there) with Node's default process metrics, unprefixed as the dashboards expect them.
 */
export function metricsRegistry(): Registry {
  if (!defaultsCollected) {
    collectDefaultMetrics({ register });
    defaultsCollected = true;
  }
  return register;
}

/**
 * The PubSub options with the messaging metrics and debug lines, and the messaging spans when tracing is on (outermost,
 * so that the others run inside the span: their lines carry its ids).
 */
export function observed<O extends PubSubModuleOptions>(options: O): O {
  const observers = [
    ...(tracingState.enabled ? [tracing()] : []),
    messagingMetrics(metricsRegistry()),
    ...(debugLogging() ? [logMessages()] : []),
    ...(options.observers ?? []),
  ];
  return { ...options, observers };
}
