/**
 * Part 11: replay into an emptied analytics-service. The built analytics-service runs as its own process on a
 * nats-server and counts N tracking events; then it is stopped and started again on an empty database, and
 * `Replayer` (what `npm run replay -- analytics-service` runs) re-delivers them. The figure is events per second
 * from the replay's start until every event is counted again; the counts must equal those before.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AnalyticsSummary } from '@mediamagic/contracts';
import { createPubSub, Replayer } from '@mediamagic/pubsub/nats';
import { freePort, ROOT, startNatsServer, waitFor, type NatsServer } from '@mediamagic/testing';
import { QUICK } from './config';
import { writeText } from './harness';
import { log, type PartOutcome } from './part';
import type { Result } from './report';

/** The service's database: PostgreSQL as deployed (a fresh database per start), or the embedded PGlite with BENCH_REPLAY_DB=embedded. */
const POSTGRES = process.env['BENCH_REPLAY_DB'] === 'embedded' ? undefined : (process.env['BENCH_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432');
const N = Number(process.env['BENCH_REPLAY_N'] ?? (QUICK ? 5_000 : 50_000));
const TARGET_PER_SECOND = 5_000;
const NAMES = ['page.viewed', 'model.loaded', 'gpu.seconds', 'token.generated'];
const quiet = { log: () => undefined, warn: () => undefined, error: (message: string) => console.error(message) };

export async function replayPart(): Promise<PartOutcome> {
  if (process.env['BENCH_SKIP_BUILD'] !== '1') {
    log('7 building analytics-service');
    execFileSync('npx', ['nx', 'run', 'analytics-service:build', '--outputStyle=static'], { cwd: ROOT, stdio: 'ignore' });
  }
  const server = await startNatsServer();
  const platform = await createPubSub({ service: 'bench', natsAddr: server.url, logger: quiet });
  let service: ChildProcess | undefined;
  try {
    service = await startAnalytics(server);
    const total = async () => (await platform.request(AnalyticsSummary, {}, { timeoutMs: 10_000 })).total;
    log(`7 publishing ${N} tracking events`);
    for (let i = 0; i < N; i += 500) {
      const batch = Array.from({ length: Math.min(500, N - i) }, (_, j) =>
        platform.publishEvent({ name: NAMES[(i + j) % NAMES.length]!, labels: { model: `model-${(i + j) % 7}` } }),
      );
      await Promise.all(batch);
    }
    await waitFor(async () => (await total()) === N, { timeoutMs: 600_000, intervalMs: 500, message: `analytics to count ${N} events` });
    const before = await platform.request(AnalyticsSummary, {});

    await stop(service);
    service = await startAnalytics(server);
    if ((await total()) !== 0) throw new Error('analytics-service did not start empty');
    log('7 replaying into the emptied analytics-service');
    const replayer = await Replayer.connect({ servers: server.url, logger: quiet });
    const loadBefore = loadavg()[0];
    const began = performance.now();
    let summaries;
    try {
      summaries = await replayer.replay('analytics-service', { intervalMs: 100 });
    } finally {
      await replayer.close();
    }
    const seconds = (performance.now() - began) / 1000;
    const after = await platform.request(AnalyticsSummary, {});
    const same = JSON.stringify(after.counts) === JSON.stringify(before.counts);
    const delivered = summaries.reduce((sum, it) => sum + it.delivered, 0);
    const perSecond = delivered / seconds;
    log(`7 replayed ${delivered} events in ${seconds.toFixed(1)} s: ${Math.round(perSecond)}/s, counts ${same ? 'equal' : 'DIFFER'}`);
    const result: Result = {
      part: 7,
      figure: `replay into an emptied analytics-service (${delivered} events)`,
      value: Math.round(perSecond),
      unit: 'events/s',
      comparison: `${seconds.toFixed(1)} s; counts after = before: ${same ? 'yes' : 'NO'}`,
      target: `>= ${TARGET_PER_SECOND.toLocaleString('en')} events/s`,
      met: same && perSecond >= TARGET_PER_SECOND,
    };
    const method =
      `A nats-server and the built analytics-service (dist/, its default concurrency of 8 per subscription) on ${POSTGRES ? 'PostgreSQL (a fresh database per start)' : 'its embedded PGlite database'}. ` +
      `${N} tracking events (4 names, a label of 7 values) are published and counted; the service is stopped (SIGTERM) and started ` +
      `again on an empty database, then Replayer (npm run replay -- analytics-service) re-delivers them. The figure is events ` +
      `delivered divided by the time from the replay's start until its consumers were all acked (polled every 100 ms, and the ` +
      `service finds a replay within 2 s, both included); the summary after must equal the one before.`;
    // The machine may be shared: its load says how far the figure can be trusted.
    const load = `load average (1 min) ${loadBefore.toFixed(1)} before the replay and ${loadavg()[0].toFixed(1)} after, on ${availableParallelism()} cores`;
    await writeText(
      join(import.meta.dirname, 'results', 'replay.md'),
      `# Replay into an emptied analytics-service\n\nWritten by \`BENCH_PARTS=11 npm run bench\` (bench/replay.part.ts), ${new Date().toISOString()}, ${load}.\n\n` +
        `| figure | value | target | met |\n| --- | --- | --- | --- |\n| ${result.figure} | ${result.value} events/s (${seconds.toFixed(1)} s) | ${result.target} | ${result.met ? 'yes' : 'NO'} |\n\n${method}\n`,
    );
    return { results: [result], method };
  } finally {
    if (service) await stop(service);
    await platform.close();
    await server.dispose();
  }
}

/** The built service on an empty database of its own; resolves once it is ready. */
async function startAnalytics(server: NatsServer): Promise<ChildProcess> {
  const port = await freePort();
  const database = POSTGRES ? { DATABASE_URL: await freshDatabase(POSTGRES) } : {};
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps/analytics-service/main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'],
      NATS_ADDR: server.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-replay-')),
      HEALTH_PORT: String(port),
      LOG_FORMAT: 'json',
      ...database,
    },
    stdio: 'ignore',
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok === true, {
    timeoutMs: 60_000,
    message: 'analytics-service to be ready',
  });
  return child;
}

let databases = 0;

/** A new, empty database on the server at `url`, named for this run. */
async function freshDatabase(url: string): Promise<string> {
  const name = `bench_replay_${process.pid}_${++databases}`;
  const client = new pg.Client({ connectionString: `${url}/postgres` });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name}`);
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return `${url}/${name}`;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
