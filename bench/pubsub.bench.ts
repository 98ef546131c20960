/**
 * `npm run bench`: the pubsub library against the raw nats.js client, side by side on one nats-server.
 * Warmup + ROUNDS rounds; in each round library and raw run back to back (order alternating), and the
 * table shows the median per case. Writes the table to bench/results/pubsub.md. Always exits 0 unless
 * the bench itself breaks: a missed target is a finding, not a failure.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsServer, type NatsServer } from './deps';
import { libraryFanout, MESSAGE_SIZE, rawFanout } from './fanout.scenario';
import { markdownTable, summarize, textTable, writeText, type Figure, type Row } from './harness';
import {
  CONCURRENCY,
  ensureRawStream,
  LIB_STREAM,
  libraryJetStream,
  PAYLOAD_BYTES,
  RAW_STREAM,
  rawJetStream,
  resetStreams,
  WINDOW,
  type JetStreamFigures,
} from './jetstream.scenario';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const FANOUT_N = Number(process.env['BENCH_FANOUT_N'] ?? 200_000);
const JS_N = Number(process.env['BENCH_JS_N'] ?? 30_000);
/** Whatever happens, the bench stops: the server is killed and the process exits. */
const WATCHDOG_MS = Number(process.env['BENCH_WATCHDOG_MS'] ?? 15 * 60_000);
const RESULTS = join(import.meta.dirname, 'results', 'pubsub.md');

async function main(server: NatsServer): Promise<void> {
  const admin = await connect({ servers: server.url, name: 'bench-admin' });
  const jsm = await jetstreamManager(admin);
  await ensureRawStream(jsm);

  const fanout = { library: [] as Figure[], raw: [] as Figure[], rawCloudEvents: [] as Figure[] };
  const js = { library: [] as JetStreamFigures[], raw: [] as JetStreamFigures[] };

  for (let round = 0; round <= ROUNDS; round++) {
    const warmup = round === 0;
    const label = warmup ? 'warmup' : `round ${round}/${ROUNDS}`;
    // Alternate who goes first, so drift (page cache, JIT, thermal) does not favour one side.
    const libraryFirst = round % 2 === 0;

    const fanoutN = warmup ? FANOUT_N / 4 : FANOUT_N;
    const subject = `fanout.r${round}`;
    const runFanout = (side: 'library' | 'raw' | 'rawCloudEvents') =>
      side === 'library'
        ? libraryFanout(server.url, fanoutN, subject)
        : rawFanout(server.url, fanoutN, subject, { cloudEvents: side === 'rawCloudEvents' });
    for (const side of [...order(libraryFirst), 'rawCloudEvents'] as const) {
      const figure = await runFanout(side);
      if (!warmup) fanout[side].push(figure);
      log(`${label} fan-out ${side}: ${Math.round(figure.value)} msg/s per group${figure.note ? ` (${figure.note})` : ''}`);
    }

    const jsN = warmup ? JS_N / 4 : JS_N;
    for (const side of order(libraryFirst)) {
      const group = `${side}-r${round}`;
      const figures = side === 'library' ? await libraryJetStream(server.url, jsN, group) : await rawJetStream(server.url, jsN, group);
      await resetStreams(jsm, [
        [LIB_STREAM.name, `${group}__bench_event`],
        [RAW_STREAM.name, group],
      ]);
      if (!warmup) js[side].push(figures);
      log(
        `${label} at-least-once ${side}: publish ${Math.round(figures.publish.value)}, consume ${Math.round(figures.consume.value)}, ` +
          `e2e ${Math.round(figures.e2e.value)} msg/s${notes(figures)}`,
      );
    }
  }
  await admin.drain();

  const pick = (side: 'library' | 'raw', key: keyof JetStreamFigures) => js[side].map((f) => f[key]);
  const rows: Row[] = [
    { case: 'fan-out 2 groups, at-most-once (msg/s per group)', library: fanout.library, raw: fanout.raw, target: 0.9 },
    // Diagnostic: raw nats.js carrying the same CloudEvents headers as the library (built and read per message).
    { case: 'fan-out vs raw + same CloudEvents headers (diagnostic)', library: fanout.library, raw: fanout.rawCloudEvents },
    { case: 'at-least-once publish (msg/s)', library: pick('library', 'publish'), raw: pick('raw', 'publish'), target: 0.8 },
    { case: 'at-least-once consume (msg/s)', library: pick('library', 'consume'), raw: pick('raw', 'consume'), target: 0.8 },
    { case: 'at-least-once end-to-end (msg/s)', library: pick('library', 'e2e'), raw: pick('raw', 'e2e'), target: 0.8 },
  ];
  const summary = summarize(rows);
  const setup =
    `${ROUNDS} rounds after a warmup, median shown; library and raw alternate order each round. ` +
    `Fan-out: ${FANOUT_N} x ${MESSAGE_SIZE}-byte messages, one connection, queue groups a and b, publishes awaited; ` +
    `the diagnostic row's raw side sends and reads the library's 6 CloudEvents headers with nats.js headers(). ` +
    `At-least-once: ${JS_N} x ${PAYLOAD_BYTES}-byte JSON events, ${WINDOW} publishes in flight, ` +
    `consumer concurrency ${CONCURRENCY}, file-storage stream.`;
  const environment = `node ${process.version}, ${availableParallelism()} cores, ${natsServerVersion()}, ${new Date().toISOString()}`;
  const perRound = summary.map((row) => `- ${row.case}: library/raw per round: ${row.rounds}`).join('\n');
  const allNotes = summary.flatMap((row) => row.notes.map((note) => `- ${row.case}: ${note}`));

  console.log(`\n${textTable(summary)}\n\n${setup}\n${environment}`);
  if (allNotes.length) console.log(`partial runs:\n${allNotes.join('\n')}`);
  await writeText(
    RESULTS,
    `# pubsub benchmark\n\n${markdownTable(summary)}\n\n${setup}\n\n${environment}\n\n## Per round\n\n${perRound}\n` +
      (allNotes.length ? `\n## Partial runs\n\n${allNotes.join('\n')}\n` : ''),
  );
  console.log(`\nwritten to ${RESULTS}`);
}

function order(libraryFirst: boolean): Array<'library' | 'raw'> {
  return libraryFirst ? ['library', 'raw'] : ['raw', 'library'];
}

function notes(figures: JetStreamFigures): string {
  const list = [figures.publish.note, figures.consume.note, figures.e2e.note].filter(Boolean);
  return list.length ? ` (${list.join('; ')})` : '';
}

function log(line: string): void {
  console.log(`[bench] ${line}`);
}

function natsServerVersion(): string {
  try {
    return execFileSync(process.env['NATS_SERVER_BIN'] ?? 'nats-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'nats-server (version unknown)';
  }
}

async function run(): Promise<number> {
  const server = await startNatsServer();
  const watchdog = setTimeout(() => {
    console.error(`[bench] watchdog: still running after ${WATCHDOG_MS} ms, stopping`);
    void server.dispose().finally(() => process.exit(2));
  }, WATCHDOG_MS);
  try {
    await main(server);
    return 0;
  } catch (error) {
    console.error('[bench] failed:', error);
    return 1;
  } finally {
    clearTimeout(watchdog);
    await server.dispose();
  }
}

void run().then((code) => process.exit(code));
