/** Part 2: library vs Nest's own NATS transport, same fan-out; rounds alternate who goes first, medians shown. */
import { NEST_N, ROUNDS } from './config';
import type { NatsServer } from '@mediamagic/testing';
import { MESSAGE_SIZE } from './fanout.scenario';
import { fmt, median, type Figure } from './harness';
import { libraryNestFanout, nestTransportFanout } from './nest.scenario';
import { log, order, type PartOutcome } from './part';
import { ratioResult } from './report';

export async function nestPart(server: NatsServer): Promise<PartOutcome> {
  const figures = { library: [] as Figure[], nest: [] as Figure[] };
  for (let round = 0; round <= ROUNDS; round++) {
    const warmup = round === 0;
    const n = warmup ? NEST_N / 4 : NEST_N;
    for (const side of order<'library' | 'nest'>(round % 2 === 0, 'library', 'nest')) {
      const subject = `nestbench.${side}.r${round}`;
      const figure = side === 'library' ? await libraryNestFanout(server.url, n, subject) : await nestTransportFanout(server.url, n, subject);
      if (!warmup) figures[side].push(figure);
      log(
        `2 ${warmup ? 'warmup' : `round ${round}/${ROUNDS}`} ${side} through Nest: ${fmt(figure.value)} msg/s per group${figure.note ? ` (${figure.note})` : ''}`,
      );
    }
  }
  const notes = [...figures.library, ...figures.nest].map((f) => f.note).filter(Boolean);
  const results = [
    ratioResult(
      2,
      'fan-out through Nest, 2 groups (msg/s per group)',
      'msg/s',
      median(figures.library.map((f) => f.value)),
      { label: 'Nest ClientNats/@EventPattern', value: median(figures.nest.map((f) => f.value)) },
      1.0,
      notes.length ? notes.join('; ') : undefined,
    ),
  ];
  const method =
    `Library: two Nest application contexts with PubSubModule.forRoot and an @OnMessage(subject, { group: a | b }) provider, ` +
    `fed by pubsub.publish of ${MESSAGE_SIZE} bytes. Nest: two Nest microservices (ServerNats, queue a | b) with an @EventPattern ` +
    `controller, fed by ClientNats.emit of a ${MESSAGE_SIZE}-character string. Three connections per side, every publish/emit awaited, ` +
    `the handlers only count; ${NEST_N} messages per round, ${ROUNDS} rounds after a warm-up, median shown. Library/Nest per round: ` +
    figures.library.map((f, i) => `${fmt(f.value)}/${fmt(figures.nest[i]?.value ?? 0)}`).join(', ') +
    '.';
  return { results, method };
}
