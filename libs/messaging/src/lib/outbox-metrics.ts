import { Gauge, register, type Registry } from 'prom-client';
import type { OutboxBacklog, OutboxSource } from './outbox-source';

/** The outboxes of this process that can say their backlog (one per service; several in a test process). */
const sources = new Set<OutboxSource>();

/**
 * `mediamagic_outbox_pending_events` and `mediamagic_outbox_oldest_pending_age_seconds` (PLATFORM.md,
 * "Observability"), read from the outbox table at each scrape: a relay that stopped publishing shows as a
 * growing age even though the relay itself reports nothing. Only in a service with an outbox.
 */
export function observeOutbox(source: OutboxSource, registry: Registry = register): () => void {
  if (!source.backlog) return () => undefined;
  sources.add(source);
  if (!registry.getSingleMetric('mediamagic_outbox_pending_events')) {
    // One query per scrape for both gauges: a scrape collects them in the order they were registered, so the first
    // asks and the second reads its answer. The database away leaves them as they were, and the scrape still answers.
    let reading: Promise<OutboxBacklog | undefined> | undefined;
    const ask = () => (reading = total().catch(() => undefined));
    new Gauge({
      name: 'mediamagic_outbox_pending_events',
      help: 'Events written to the outbox and not yet published.',
      registers: [registry],
      async collect() {
        const now = await ask();
        if (now) this.set(now.pending);
      },
    });
    new Gauge({
      name: 'mediamagic_outbox_oldest_pending_age_seconds',
      help: 'How long the oldest unpublished outbox event has waited (0 when none waits).',
      registers: [registry],
      async collect() {
        const now = await (reading ?? ask());
        if (now) this.set(now.oldestAgeSeconds);
      },
    });
  }
  return () => sources.delete(source);
}

async function total(): Promise<OutboxBacklog> {
  const backlogs = await Promise.all([...sources].map((source) => source.backlog!()));
  return {
    pending: backlogs.reduce((sum, backlog) => sum + backlog.pending, 0),
    oldestAgeSeconds: Math.max(0, ...backlogs.map((backlog) => backlog.oldestAgeSeconds)),
  };
}
