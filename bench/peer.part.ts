/** Part 7: the library against a peer Nest JetStream transport, at-least-once fan-out; rounds alternate who goes first. */
import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import type { NatsServer } from '@mediamagic/testing';
import { PEER_N, ROUNDS } from './config';
import { fmt, median, type Figure } from './harness';
import { log, order, type PartOutcome } from './part';
import { libraryPeerFanout, PEER_STREAM, peerFanout, type PeerCase } from './peer.scenario';
import { PAYLOAD_BYTES } from './jetstream.scenario';
import { ratioResult } from './report';

const PEER = '@nestjs-plugins/nestjs-nats-jetstream-transport 2.2.6';
const TARGET = 1.5;
const CASES: Array<PeerCase & { name: string }> = [
  { name: 'end-to-end, in order', backlog: false, handlerMs: 0, concurrency: 1 },
  { name: 'backlog, in order', backlog: true, handlerMs: 0, concurrency: 1 },
  { name: 'end-to-end, library concurrency 16', backlog: false, handlerMs: 0, concurrency: 16 },
  { name: 'handler awaiting 1 ms, library concurrency 16', backlog: false, handlerMs: 1, concurrency: 16 },
];

export async function peerPart(server: NatsServer): Promise<PartOutcome> {
  const nc = await connect({ servers: server.url, name: 'bench-peer-admin' });
  const jsm = await jetstreamManager(nc);
  // The stream both sides use, as the library would make it: neither side's own stream setup runs.
  await jsm.streams.add({
    ...PEER_STREAM,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(7 * 24 * 3600_000),
    duplicate_window: nanos(120_000),
  });
  const figures = CASES.map(() => ({ library: [] as Figure[], peer: [] as Figure[] }));
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const warmup = round === 0;
      for (const [c, peerCase] of CASES.entries()) {
        // The 1 ms handler caps the peer's one-at-a-time consumer near 1,000/s: fewer messages keep the run short.
        const n = Math.round((warmup ? Math.max(1_000, PEER_N / 4) : PEER_N) / (peerCase.handlerMs > 0 ? 4 : 1));
        for (const side of order<'library' | 'peer'>(round % 2 === 0, 'library', 'peer')) {
          const subject = `peer.${side}.r${round}c${c}`;
          const figure = side === 'library' ? await libraryPeerFanout(server.url, n, subject, peerCase) : await peerFanout(server.url, n, subject, peerCase);
          await emptyStream(jsm);
          if (!warmup) figures[c][side].push(figure);
          log(
            `7 ${peerCase.name} ${warmup ? 'warmup' : `round ${round}/${ROUNDS}`} ${side}: ${fmt(figure.value)} msg/s per group${figure.note ? ` (${figure.note})` : ''}`,
          );
        }
      }
    }
  } finally {
    await jsm.streams.delete(PEER_STREAM.name).catch(() => undefined);
    await nc.drain();
  }
  const results = CASES.map((peerCase, c) => {
    const notes = [...figures[c].library, ...figures[c].peer].map((f) => f.note).filter(Boolean);
    return ratioResult(
      7,
      `at-least-once fan-out through Nest, 2 groups, ${peerCase.name} (msg/s per group)`,
      'msg/s',
      median(figures[c].library.map((f) => f.value)),
      { label: PEER, value: median(figures[c].peer.map((f) => f.value)) },
      TARGET,
      notes.length ? notes.join('; ') : undefined,
    );
  });
  const method =
    `Both sides on one nats-server and one JetStream stream ${PEER_STREAM.name} (file storage, limits retention, 7 days, made by the bench, so ` +
    `neither side's stream setup runs), each round on a subject of its own in it. Two consumer groups a and b, each a Nest app with its own ` +
    `NATS connection and a durable consumer from the start of the stream, made before the first publish; one publisher connection. ` +
    `The same ${PAYLOAD_BYTES}-byte JSON payload, ${PEER_N} messages per round (a quarter with the 1 ms handler), 256 publishes in flight, each ` +
    `awaiting its JetStream ack. Each handler counts (after awaiting a 1 ms timer in the I/O case, as a handler awaits its database), and the message ` +
    `is acked after the handler returned. End-to-end: consumers running, from the first publish until both groups handled all N; backlog: N ` +
    `published first, from starting the two consumer apps until both handled all N. Library: PubSubModule.forRoot + @OnEvent(contract, { group }), ` +
    `fed by pubsub.emit: it does more per message than the peer (zod validation on both ends, CloudEvents headers, a de-duplication id), with ` +
    `its pull consumer, one handler at a time per group ("in order", its default) or 16 (as email-service runs). Peer: NatsJetStreamServer with consumerOptions { durable, deliverTo, deliverPolicy All, ` +
    `ackPolicy Explicit, manualAck } (a push consumer; the handler calls context.message.ack() last) + @EventPattern, fed by ` +
    `NatsJetStreamClientProxy.emit (awaited until the PubAck); its own defaults otherwise. Rate per group = N / (first publish -> both groups ` +
    `handled all N). ${ROUNDS} rounds after a warm-up, the side going first alternating, the stream emptied and its consumers deleted between runs; ` +
    `median shown. Library/peer per round: ` +
    CASES.map(
      (peerCase, c) => `${peerCase.name} ${figures[c].library.map((f, i) => `${fmt(f.value)}/${fmt(figures[c].peer[i]?.value ?? 0)}`).join(', ')}`,
    ).join('; ') +
    '.';
  return { results, method };
}

/** Between runs: the run's consumers deleted and the stream emptied, so every run starts alike. */
async function emptyStream(jsm: JetStreamManager): Promise<void> {
  for (const info of await jsm.consumers.list(PEER_STREAM.name).next()) await jsm.consumers.delete(PEER_STREAM.name, info.name).catch(() => undefined);
  await jsm.streams.purge(PEER_STREAM.name);
}
