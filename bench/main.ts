/**
 * `npm run bench`: the end-to-end benchmark. Runs the parts in sequence and prints ONE table (figure, value,
 * comparison, ratio, target, met?), also written to bench/results/benchmark.md with how each figure was measured.
 *   1. the library vs raw nats.js and raw JetStream          (library.part.ts)
 *   2. the library vs Nest's own NATS transport              (nest.part.ts)
 *   3-5. gateway vs bare Fastify, fan-out latency, memory and start times, on the running platform (platform.part.ts)
 *   6. the time to serve a new user after a burst of 1,000 registrations          (burst.part.ts)
 *   7. at-least-once fan-out through Nest: the library vs a peer JetStream transport (peer.part.ts)
 *   8-9. the fan-out capacity curve, with tracing off and on                      (observability.part.ts)
 *   Parts 7-9 are also written to bench/results/observability.md.
 * BENCH_QUICK=1 for a smoke run, BENCH_PARTS=1,2 for some parts (see config.ts). Exits 0 unless the bench itself
 * breaks: a missed target is a finding, not a failure.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { PARTS, QUICK, WATCHDOG_MS } from './config';
import { startNatsServer } from '@mediamagic/testing';
import { writeText } from './harness';
import { libraryPart } from './library.part';
import { nestPart } from './nest.part';
import { log, type PartOutcome } from './part';
import { platformPart } from './platform.part';
import { observabilityPart, writeObservabilityResults } from './observability.part';
import { peerPart } from './peer.part';
import { markdownTable, notesOf, textTable } from './report';

const RESULTS = join(import.meta.dirname, 'results', 'benchmark.md');

async function main(): Promise<void> {
  // The machine may be shared: its load before and after says how far the figures can be trusted.
  const loadBefore = loadavg()[0];
  const outcomes: Array<{ title: string; outcome: PartOutcome }> = [];
  if (PARTS.has(1) || PARTS.has(2)) {
    const server = await startNatsServer();
    try {
      if (PARTS.has(1)) outcomes.push({ title: '1. Library vs raw nats.js / raw JetStream', outcome: await libraryPart(server) });
      if (PARTS.has(2)) outcomes.push({ title: "2. Library vs Nest's own NATS transport", outcome: await nestPart(server) });
    } finally {
      await server.dispose();
    }
  }
  if ([3, 4, 5, 6].some((part) => PARTS.has(part))) {
    for (const part of await platformPart(PARTS)) outcomes.push(part);
  }
  if (PARTS.has(7)) {
    const server = await startNatsServer();
    try {
      outcomes.push({ title: '7. Library vs a peer Nest JetStream transport, at least once', outcome: await peerPart(server) });
    } finally {
      await server.dispose();
    }
  }
  if (PARTS.has(8) || PARTS.has(9)) outcomes.push(...(await observabilityPart(PARTS)));
  if (PARTS.has(10)) outcomes.push({ title: '10. Live stream: 1,000 open streams on one gateway', outcome: await (await import('./live.part')).livePart() });
  if (PARTS.has(11)) outcomes.push({ title: '11. Replay into an emptied analytics-service', outcome: await (await import('./replay.part')).replayPart() });

  const results = outcomes.flatMap((o) => o.outcome.results);
  const notes = notesOf(results);
  const environment =
    `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ` +
    `${Math.round(totalmem() / 2 ** 30)} GB RAM, ${natsServerVersion()}, ${new Date().toISOString()}, ` +
    `load average (1 min) ${loadBefore.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end${QUICK ? ', QUICK run (BENCH_QUICK=1): small N, short durations' : ''}`;
  console.log(`\n${textTable(results)}\n\n${environment}`);
  if (notes.length) console.log(`\nnotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
  await writeText(
    RESULTS,
    `# End-to-end benchmark\n\nWritten by \`npm run bench\` (bench/main.ts); every run overwrites it. What limits each figure: [analysis.md](analysis.md).\n\n${markdownTable(results)}\n\n${environment}\n\n` +
      (notes.length ? `## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n\n` : '') +
      `## How each part measures\n\n${outcomes.map((o) => `### ${o.title}\n\n${o.outcome.method}\n`).join('\n')}`,
  );
  console.log(`\nwritten to ${RESULTS}`);
  await writeObservabilityResults(outcomes, environment);
}

function natsServerVersion(): string {
  try {
    return execFileSync(process.env['NATS_SERVER_BIN'] ?? 'nats-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'nats-server (version unknown)';
  }
}

const watchdog = setTimeout(() => {
  console.error(`[bench] watchdog: still running after ${WATCHDOG_MS} ms, stopping`);
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
