/**
 * `npm run replay -- <group or service> [--since <ISO-8601>]`: re-delivers the events the streams retain to one
 * consumer group (`analytics-service.count-event`), or to every group of a service (`analytics-service`), while
 * it runs; the other groups see nothing. A group rebuilds its state from them; one whose handler acts outside
 * the platform (email-service) skips them. Prints progress, then a summary. Ctrl-C stops it cleanly.
 * Connects to NATS_ADDR (with NATS_USER and NATS_PASSWORD when set). See docs/decisions/0006-replay.md.
 */
import { parseArgs } from 'node:util';
import { Replayer, type ReplayProgress, type ReplaySummary } from '@mediamagic/pubsub/nats';

const USAGE = 'usage: npm run replay -- <group or service> [--since <ISO-8601 time>] [--json]';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { since: { type: 'string' }, json: { type: 'boolean' } } });
  const [target, ...extra] = positionals;
  if (!target || extra.length > 0 || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(target)) throw new UsageError(USAGE);
  const since = values.since === undefined ? undefined : isoTime(values.since);

  const env = process.env;
  const replayer = await Replayer.connect({
    servers: env['NATS_ADDR'] || undefined,
    user: env['NATS_USER'] || undefined,
    pass: env['NATS_PASSWORD'] || undefined,
    logger: quiet,
  });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const started = Date.now();
  try {
    console.error(`replaying to ${target}${since ? ` the events stored since ${since.toISOString()}` : ' every event the streams retain'}`);
    const summaries = await replayer.replay(target, { since, signal: stop.signal, onProgress: (progress) => console.error(line(progress, started)) });
    if (values.json) console.log(JSON.stringify(summaries, null, 2));
    else print(summaries, Date.now() - started);
  } finally {
    await replayer.close();
  }
}

class UsageError extends Error {}

const quiet = { log: () => undefined, warn: () => undefined, error: (message: string) => console.error(message) };

function isoTime(text: string): Date {
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) || Number.isNaN(time.getTime())) {
    throw new UsageError(`--since must be an ISO-8601 time, like 2026-01-31T12:00:00Z\n${USAGE}`);
  }
  return time;
}

function line(progress: readonly ReplayProgress[], started: number): string {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const parts = progress.map((it) => {
    const state = it.done ? 'done' : it.taken ? `${it.handled}/${it.total}` : `${it.handled}/${it.total}, waiting for its service`;
    return `${it.group} ${it.subject} ${state}`;
  });
  return `[${seconds}s] ${parts.join('; ')}`;
}

function print(summaries: readonly ReplaySummary[], elapsedMs: number): void {
  console.log('group\tsubject\tdelivered\tskipped\tdead-lettered');
  for (const it of summaries) console.log(`${it.group}\t${it.subject}\t${it.delivered}\t${it.skipped}\t${it.deadLettered}`);
  const sum = (key: 'delivered' | 'skipped' | 'deadLettered') => summaries.reduce((total, it) => total + it[key], 0);
  console.log(`replayed in ${(elapsedMs / 1000).toFixed(1)} s: ${sum('delivered')} delivered, ${sum('skipped')} skipped, ${sum('deadLettered')} dead-lettered`);
}

main().catch((error: Error) => {
  console.error(error instanceof UsageError ? error.message : `replay: ${error.message}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
