import { Counter, Gauge, Histogram, register, type Metric, type Registry } from 'prom-client';
import type { PubSub } from '../pubsub';
import type { PubSubObserver } from '../pubsub-options';

/** Seconds a handler takes: from a millisecond cache hit to a slow SMTP server. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const OUTCOMES = { ack: 'ack', retry: 'retry', term: 'dead_letter' } as const;

/**
 * The messaging metrics of PLATFORM.md ("Observability"), in `registry`: their names and labels are a
 * contract, the dashboards query them. Labels are subjects and groups, never ids, so their number is bounded.
 * An at-most-once delivery whose handler failed is dropped: counted as `ack`, its error is on its span.
 */
export function messagingMetrics(registry: Registry = register): PubSubObserver {
  // Several PubSubs of one process (tests, a tool) share the registry's metrics.
  const sent = once(
    registry,
    'messaging_client_sent_messages_total',
    (name) =>
      new Counter({ name, help: 'Messages published, by subject (requests not included).', labelNames: ['messaging_destination_name'], registers: [registry] }),
  );
  const consumed = once(
    registry,
    'messaging_client_consumed_messages_total',
    (name) =>
      new Counter({
        name,
        help: 'Deliveries processed, by subject, consumer group and outcome (ack, retry, dead_letter).',
        labelNames: ['messaging_destination_name', 'messaging_consumer_group_name', 'outcome'],
        registers: [registry],
      }),
  );
  const duration = once(
    registry,
    'messaging_process_duration_seconds',
    (name) =>
      new Histogram({
        name,
        help: 'Time to process a delivery (handler, then ack, retry or dead letter), by subject and consumer group.',
        labelNames: ['messaging_destination_name', 'messaging_consumer_group_name'],
        buckets: DURATION_BUCKETS,
        registers: [registry],
      }),
  );
  return {
    publish: (next) => async (envelope, delivery) => {
      await next(envelope, delivery);
      sent.inc({ messaging_destination_name: envelope.subject });
    },
    process: (next) => async (message) => {
      const labels = { messaging_destination_name: message.subject, messaging_consumer_group_name: boundedGroup(message.group) };
      const stop = duration.startTimer(labels);
      const processed = await next(message);
      stop();
      consumed.inc({ ...labels, outcome: OUTCOMES[processed.outcome.kind] });
      return processed;
    },
  };
}

/** The PubSubs of this process whose durable consumers the pending gauge reports. */
const observedConsumers = new Set<Pick<PubSub, 'consumerBacklog'>>();

/**
 * `mediamagic_consumer_pending_messages`: per stream and group of this service, the messages waiting or
 * unacknowledged, asked of JetStream at each scrape (so it is right after a restart, and costs nothing between).
 * Returns the function that stops reporting `pubsub`.
 */
export function observeConsumers(pubsub: Pick<PubSub, 'consumerBacklog'>, registry: Registry = register): () => void {
  observedConsumers.add(pubsub);
  once(
    registry,
    'mediamagic_consumer_pending_messages',
    (name) =>
      new Gauge({
        name,
        help: 'Messages of a durable consumer waiting or delivered and not yet acknowledged (JetStream consumer info).',
        labelNames: ['stream', 'messaging_consumer_group_name'],
        registers: [registry],
        async collect() {
          // The broker away: no sample rather than a wrong one, and the scrape still answers.
          const backlogs = await Promise.all([...observedConsumers].map((it) => it.consumerBacklog().catch(() => [])));
          this.reset();
          const totals = new Map<string, number>();
          for (const { stream, group, pending } of backlogs.flat()) totals.set(`${stream}\n${group}`, (totals.get(`${stream}\n${group}`) ?? 0) + pending);
          for (const [key, pending] of totals) {
            const [stream, group] = key.split('\n');
            this.set({ stream, messaging_consumer_group_name: group }, pending);
          }
        },
      }),
  );
  return () => observedConsumers.delete(pubsub);
}

/** A live listener's group ends with an id of its process (`gateway.deployment-views.<uuid>`): a new series per start, so it is dropped. */
function boundedGroup(group: string): string {
  return group.replace(/\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, '');
}

function once<M extends Metric>(registry: Registry, name: string, create: (name: string) => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create(name);
}
