/**
 * Part 7: at-least-once fan-out to two Nest consumer groups, the library's Nest module against
 * @nestjs-plugins/nestjs-nats-jetstream-transport (a widely used Nest JetStream transport), on the same stream.
 *
 * Both sides: one JetStream stream PEER (file storage, made by the bench before either side runs), a subject of
 * its own per side and round in it, two consumer groups `a` and `b` as two Nest apps, each a durable consumer that
 * starts at the stream's beginning; the same JSON payload (~250 bytes) published N times with 256 publishes awaiting
 * their JetStream ack at once; each handler counts and the message is acked after the handler returned.
 *   library: `PubSubModule.forRoot` + `@OnEvent(contract, { group })`, fed by `pubsub.emit` (zod-validated, CloudEvents
 *            headers, de-duplication id); the library acks when the handler resolved (its default concurrency).
 *   peer:    `NatsJetStreamServer` (its push consumer per group, `manualAck`, the handler calls `message.ack()` last)
 *            + `@EventPattern`, fed by `NatsJetStreamClientProxy.emit` (JSON, no headers, no de-duplication id).
 * Three cases, each measured per group as N / time:
 *   end-to-end: the consumers run, N are published; from the first publish until both groups handled all N;
 *   backlog:    N are published first; from starting the two consumer apps until both handled all N;
 *   I/O handler: end-to-end with a handler that awaits 1 ms (a timer standing in for a database write) before it returns.
 * The library runs each case in order (concurrency 1, its default, as the peer always does) and some also with 16 handlers
 * at once per group, as email-service runs its handler.
 */
import { Controller, Injectable, Module, type INestApplicationContext, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload, type CustomStrategy } from '@nestjs/microservices';
import { NatsJetStreamClientProxy, NatsJetStreamContext, NatsJetStreamServer } from '@nestjs-plugins/nestjs-nats-jetstream-transport';
import { lastValueFrom } from 'rxjs';
import { defineEvent, type EventDefinition } from '@mediamagic/pubsub';
import { createPubSub } from '@mediamagic/pubsub/nats';
import { OnEvent, PubSubModule } from '@mediamagic/pubsub/nest';
import { now, rate, sleep, waitUntil, windowed, type Figure } from './harness';
import { orderSchema, payload, WINDOW } from './jetstream.scenario';

export const PEER_STREAM = { name: 'PEER', subjects: ['peer.>'] };
const GROUPS = ['a', 'b'] as const;
type Group = (typeof GROUPS)[number];

interface Counts {
  a: number;
  b: number;
  lastAt: number;
}

export interface PeerCase {
  backlog: boolean;
  /** How long each handler awaits before it returns (0: it only counts). */
  handlerMs: number;
  /** The library's handlers running at once per group (its default is 1, in order); the peer has no such setting: always 1. */
  concurrency: number;
}

/** What both sides' handlers do: wait like I/O if the case says so, then count. */
async function handle(counts: Counts, group: Group, handlerMs: number): Promise<void> {
  if (handlerMs > 0) await sleep(handlerMs);
  counts[group]++;
  counts.lastAt = now();
}

/** The same event the scenario of part 1 uses, on this round's subject. */
function contract(subject: string) {
  return defineEvent({ subject, version: 1, delivery: 'at-least-once', schema: orderSchema });
}

async function libraryConsumer(
  url: string,
  event: EventDefinition,
  group: Group,
  counts: Counts,
  { handlerMs, concurrency }: PeerCase,
): Promise<INestApplicationContext> {
  @Injectable()
  class Handler {
    @OnEvent(event, { group, concurrency })
    handle(): Promise<void> {
      return handle(counts, group, handlerMs);
    }
  }
  @Module({
    imports: [PubSubModule.forRoot({ service: `bench-peer-lib-${group}`, natsAddr: url, streams: [PEER_STREAM], logger: quiet })],
    providers: [Handler],
  })
  class LibraryConsumerModule {}
  return NestFactory.createApplicationContext(LibraryConsumerModule, { logger: false });
}

async function peerConsumer(url: string, subject: string, group: Group, counts: Counts, handlerMs: number): Promise<INestMicroservice> {
  @Controller()
  class Handler {
    @EventPattern(subject)
    // Nest 12 types the context parameter as unknown; the peer's server passes its NatsJetStreamContext.
    async handle(@Payload() _data: unknown, @Ctx() context: unknown): Promise<void> {
      await handle(counts, group, handlerMs);
      (context as NatsJetStreamContext).message.ack();
    }
  }
  @Module({ controllers: [Handler] })
  class PeerConsumerModule {}
  const strategy = new NatsJetStreamServer({
    connectionOptions: { servers: url, name: `bench-peer-nest-${group}` },
    consumerOptions: { durable: `peer-${group}`, deliverTo: `peer-${group}`, deliverPolicy: 'All', ackPolicy: 'Explicit', manualAck: true },
  });
  // Built against an older @nestjs/microservices: its Server is the same at run time, not to the type checker.
  const app = await NestFactory.createMicroservice(PeerConsumerModule, { strategy, logger: false } as unknown as CustomStrategy);
  await app.listen();
  return app;
}

export async function libraryPeerFanout(url: string, n: number, subject: string, peerCase: PeerCase): Promise<Figure> {
  const counts: Counts = { a: 0, b: 0, lastAt: 0 };
  const event = contract(subject);
  const pubsub = await createPubSub({ service: 'bench-peer-lib-publisher', natsAddr: url, streams: [PEER_STREAM], logger: quiet });
  let apps: INestApplicationContext[] = [];
  try {
    return await measure(
      n,
      counts,
      peerCase.backlog,
      async () => void (apps = await Promise.all(GROUPS.map((group) => libraryConsumer(url, event, group, counts, peerCase)))),
      (i) => pubsub.emit(event, payload(i)),
    );
  } finally {
    await pubsub.close();
    await Promise.all(apps.map((app) => app.close()));
  }
}

export async function peerFanout(url: string, n: number, subject: string, { backlog, handlerMs }: PeerCase): Promise<Figure> {
  const counts: Counts = { a: 0, b: 0, lastAt: 0 };
  const client = new NatsJetStreamClientProxy({ connectionOptions: { servers: url, name: 'bench-peer-nest-publisher' } });
  await client.connect();
  let apps: INestMicroservice[] = [];
  try {
    return await measure(
      n,
      counts,
      backlog,
      async () => void (apps = await Promise.all(GROUPS.map((group) => peerConsumer(url, subject, group, counts, handlerMs)))),
      (i) => lastValueFrom(client.emit(subject, payload(i))),
    );
  } finally {
    await client.close();
    await Promise.all(apps.map((app) => app.close()));
  }
}

/** Times from the first publish (or, for a backlog, from starting the consumers) until both groups handled all N. */
async function measure(
  n: number,
  counts: Counts,
  backlog: boolean,
  startConsumers: () => Promise<void>,
  publish: (i: number) => Promise<unknown>,
): Promise<Figure> {
  if (backlog) await windowed(n, WINDOW, publish);
  else await startConsumers();
  const start = now();
  if (backlog) await startConsumers();
  else await windowed(n, WINDOW, publish);
  const complete = await waitUntil(
    () => counts.a >= n && counts.b >= n,
    () => counts.a + counts.b,
    { stallMs: 10_000 },
  );
  return { value: rate(Math.min(counts.a, counts.b, n), counts.lastAt - start), note: complete ? undefined : `handled a=${counts.a} b=${counts.b} of ${n}` };
}

const quiet = { log: () => undefined, warn: console.warn, error: console.error };
