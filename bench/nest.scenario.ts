/**
 * Part 2: the library against NestJS's own NATS transport, the same fan-out through Nest on both sides.
 *
 * Nest: two Nest microservices (ServerNats, `queue: 'a'` and `queue: 'b'`), each with an `@EventPattern(subject)`
 * controller method, fed by `ClientNats.emit(subject, data)` with `data` a 256-character string (Nest wraps it
 * as JSON `{pattern, data}`, ~290 bytes on the wire, no headers).
 * Library: two Nest application contexts importing `PubSubModule.forRoot`, each with an `@OnMessage(subject,
 * { group })` provider method, fed by `pubsub.publish(subject, bytes)` with 256 bytes (+ the CloudEvents headers).
 * Same topology on both sides: three NATS connections (publisher, consumer a, consumer b), every emit/publish
 * awaited, and the handler does the same thing (counts a 256-long payload). Measured as in part 1: from the
 * first publish until both groups have handled all N.
 */
import { Controller, Injectable, Module, type INestApplicationContext, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientNats, EventPattern, Payload, Transport } from '@nestjs/microservices';
import type { Message } from '@mediamagic/pubsub';
import { createPubSub } from '@mediamagic/pubsub/nats';
import { OnMessage, PubSubModule } from '@mediamagic/pubsub/nest';
import { groups, measure, MESSAGE_SIZE, receive, type Groups } from './fanout.scenario';
import type { Figure } from './harness';

const GROUPS = ['a', 'b'] as const;

/** A Nest app consuming `subject` in queue group `group` with Nest's own transport. */
async function nestConsumer(url: string, subject: string, group: 'a' | 'b', state: Groups): Promise<INestMicroservice> {
  @Controller()
  class Handler {
    @EventPattern(subject)
    handle(@Payload() data: unknown): void {
      receive(state, group, data as string);
    }
  }
  @Module({ controllers: [Handler] })
  class NestConsumerModule {}
  const app = await NestFactory.createMicroservice(NestConsumerModule, {
    transport: Transport.NATS,
    options: { servers: url, queue: group, name: `bench-nest-${group}` },
    logger: false,
  });
  await app.listen();
  return app;
}

/** A Nest app consuming `subject` in group `group` through the library's module and decorator. */
async function libraryConsumer(url: string, subject: string, group: 'a' | 'b', state: Groups): Promise<INestApplicationContext> {
  @Injectable()
  class Handler {
    @OnMessage(subject, { group })
    handle(message: Message): void {
      receive(state, group, message.data);
    }
  }
  @Module({ imports: [PubSubModule.forRoot({ service: `bench-lib-${group}`, natsAddr: url })], providers: [Handler] })
  class LibraryConsumerModule {}
  // Subscriptions are made in onApplicationBootstrap, which createApplicationContext awaits.
  return NestFactory.createApplicationContext(LibraryConsumerModule, { logger: false });
}

export async function nestTransportFanout(url: string, n: number, subject: string): Promise<Figure> {
  const state = groups();
  const apps = await Promise.all(GROUPS.map((group) => nestConsumer(url, subject, group, state)));
  const client = new ClientNats({ servers: url, name: 'bench-nest-client' });
  await client.connect();
  const full = 'a'.repeat(MESSAGE_SIZE);
  try {
    return await measure(
      n,
      (data) =>
        new Promise<void>((resolve, reject) => {
          // emit() is hot: it dispatches at once; completion says the message was handed to the connection.
          client.emit(subject, data.length === MESSAGE_SIZE ? full : 'p').subscribe({ complete: resolve, error: reject });
        }),
      state,
    );
  } finally {
    await client.close();
    await Promise.all(apps.map((app) => app.close()));
  }
}

export async function libraryNestFanout(url: string, n: number, subject: string): Promise<Figure> {
  const state = groups();
  const apps = await Promise.all(GROUPS.map((group) => libraryConsumer(url, subject, group, state)));
  const pubsub = await createPubSub({ service: 'bench-lib-publisher', natsAddr: url, logger: quiet });
  try {
    return await measure(n, (data) => pubsub.publish(subject, data), state);
  } finally {
    await pubsub.close();
    await Promise.all(apps.map((app) => app.close()));
  }
}

const quiet = { log: () => undefined, warn: console.warn, error: console.error };
