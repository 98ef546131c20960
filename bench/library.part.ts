/**
 * Part 1: the pubsub library against the raw nats.js client and raw JetStream, side by side on one nats-server.
 * Warm-up + ROUNDS rounds; in each round library and raw run back to back (order alternating), and the
 * table shows the median per case.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { FANOUT_N, JS_N, ROUNDS } from './config';
import type { NatsServer } from '@mediamagic/testing';
import { libraryFanout, MESSAGE_SIZE, rawFanout } from './fanout.scenario';
import { summarize, type Figure, type Row } from './harness';
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
import { log, order, type PartOutcome } from './part';
import { ratioResult } from './report';

export async function libraryPart(server: NatsServer): Promise<PartOutcome> {
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
      side === 'library' ? libraryFanout(server.url, fanoutN, subject) : rawFanout(server.url, fanoutN, subject, { cloudEvents: side === 'rawCloudEvents' });
    for (const side of [...order<'library' | 'raw'>(libraryFirst, 'library', 'raw'), 'rawCloudEvents'] as const) {
      const figure = await runFanout(side);
      if (!warmup) fanout[side].push(figure);
      log(`1 ${label} fan-out ${side}: ${Math.round(figure.value)} msg/s per group${figure.note ? ` (${figure.note})` : ''}`);
    }

    const jsN = warmup ? JS_N / 4 : JS_N;
    for (const side of order<'library' | 'raw'>(libraryFirst, 'library', 'raw')) {
      const group = `${side}-r${round}`;
      const figures = side === 'library' ? await libraryJetStream(server.url, jsN, group) : await rawJetStream(server.url, jsN, group);
      await resetStreams(jsm, [
        [LIB_STREAM.name, `${group}__bench_event`],
        [RAW_STREAM.name, group],
      ]);
      if (!warmup) js[side].push(figures);
      log(
        `1 ${label} at-least-once ${side}: publish ${Math.round(figures.publish.value)}, consume ${Math.round(figures.consume.value)}, ` +
          `e2e ${Math.round(figures.e2e.value)} msg/s${notes(figures)}`,
      );
    }
  }
  await admin.drain();

  const pick = (side: 'library' | 'raw', key: keyof JetStreamFigures) => js[side].map((f) => f[key]);
  const rows: Array<Row & { baseline: string }> = [
    { case: 'fan-out raw bytes, 2 groups (msg/s per group)', baseline: 'raw nats.js', library: fanout.library, raw: fanout.raw, target: 0.9 },
    // Diagnostic: raw nats.js carrying the same CloudEvents headers as the library (built and read per message).
    { case: 'fan-out vs raw + CloudEvents headers (diagnostic)', baseline: 'raw + headers', library: fanout.library, raw: fanout.rawCloudEvents },
    { case: 'at-least-once publish (msg/s)', baseline: 'raw JetStream', library: pick('library', 'publish'), raw: pick('raw', 'publish'), target: 0.8 },
    { case: 'at-least-once consume (msg/s)', baseline: 'raw JetStream', library: pick('library', 'consume'), raw: pick('raw', 'consume'), target: 0.8 },
    { case: 'at-least-once end-to-end (msg/s)', baseline: 'raw JetStream', library: pick('library', 'e2e'), raw: pick('raw', 'e2e'), target: 0.8 },
  ];
  const summary = summarize(rows);
  const results = summary.map((row, i) =>
    ratioResult(1, row.case, 'msg/s', row.library, { label: rows[i].baseline, value: row.raw }, row.target, row.notes.join('; ') || undefined),
  );
  const method =
    `Fan-out: ${FANOUT_N} x ${MESSAGE_SIZE}-byte messages per round, one connection, queue groups a and b, publishes awaited; ` +
    `the diagnostic row's raw side sends and reads the library's 6 CloudEvents headers with nats.js headers(). ` +
    `At-least-once: ${JS_N} x ${PAYLOAD_BYTES}-byte JSON events, ${WINDOW} publishes in flight, ` +
    `consumer concurrency ${CONCURRENCY}, file-storage stream; publish = publishing a backlog nobody consumes, consume = a new ` +
    `durable consumer reading that backlog, end-to-end = publishing while consuming. ${ROUNDS} rounds after a warm-up, median shown, ` +
    `library and raw alternate order each round. Library/raw per round: ` +
    summary.map((row) => `${row.case}: ${row.rounds}`).join('; ') +
    '.';
  return { results, method };
}

function notes(figures: JetStreamFigures): string {
  const list = [figures.publish.note, figures.consume.note, figures.e2e.note].filter(Boolean);
  return list.length ? ` (${list.join('; ')})` : '';
}
