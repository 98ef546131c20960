import { NotFoundError } from '@mediamagic/errors';
import { waitFor } from '@mediamagic/testing';
import { Controller, Injectable, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { z } from 'zod';
import { defineEvent, type PayloadOf } from '../event-definition';
import { MemoryBroker, MemoryTransport } from '../memory/memory.transport';
import type { Message } from '../message';
import { PubSub } from '../pubsub';
import type { TrackingEvent } from '../tracking-event';
import { defineRequest } from '../request-definition';
import { OnEvent, OnRequest, OnTrackingEvent } from './decorators';
import { PubSubModule } from './pubsub.module';

const UserRegistered = defineEvent({
  subject: 'test.user.registered',
  version: 1,
  schema: z.object({ userId: z.string(), email: z.email() }),
  delivery: 'at-least-once',
});

const GetUser = defineRequest({ subject: 'test.users.get', request: z.object({ id: z.string() }), response: z.object({ id: z.string(), name: z.string() }) });

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function start(classes: { providers?: Type[]; controllers?: Type[] }): Promise<TestingModule> {
  const app = await Test.createTestingModule({
    imports: [PubSubModule.forRoot({ service: 'test', transport: new MemoryTransport(new MemoryBroker()) })],
    ...classes,
  }).compile();
  return app.init();
}

describe('PubSubModule', () => {
  let app: TestingModule | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('delivers a typed event to an @OnEvent method, bound to its instance', async () => {
    @Injectable()
    class Welcomer {
      readonly received = deferred<{ payload: PayloadOf<typeof UserRegistered>; subject: string }>();
      @OnEvent(UserRegistered)
      welcome(payload: PayloadOf<typeof UserRegistered>, message: Message): void {
        this.received.resolve({ payload, subject: message.subject });
      }
    }
    app = await start({ providers: [Welcomer] });

    await app.get(PubSub).emit(UserRegistered, { userId: 'u1', email: 'ada@example.com' });

    expect(await app.get(Welcomer).received.promise).toEqual({
      payload: { userId: 'u1', email: 'ada@example.com' },
      subject: 'test.user.registered',
    });
  });

  it('answers @OnRequest in a controller; a thrown NotFoundError reaches the caller as a 404', async () => {
    @Controller()
    class UsersController {
      private readonly users = new Map([['u1', { id: 'u1', name: 'Ada' }]]);
      @OnRequest(GetUser)
      get({ id }: { id: string }): { id: string; name: string } {
        const user = this.users.get(id);
        if (!user) throw new NotFoundError(`user ${id} not found`);
        return user;
      }
    }
    // forRootAsync too: the options come from a factory with an injected dependency.
    const broker = new MemoryBroker();
    const gateway = await Test.createTestingModule({
      imports: [
        PubSubModule.forRootAsync({
          imports: [{ module: class BrokerModule {}, providers: [{ provide: MemoryBroker, useValue: broker }], exports: [MemoryBroker] }],
          inject: [MemoryBroker],
          useFactory: (shared: MemoryBroker) => ({ service: 'gateway', transport: new MemoryTransport(shared) }),
        }),
      ],
      controllers: [UsersController],
    })
      .compile()
      .then((module) => module.init());
    app = gateway;
    const pubsub = gateway.get(PubSub);
    await expect(pubsub.request(GetUser, { id: 'u1' })).resolves.toEqual({ id: 'u1', name: 'Ada' });
    await expect(pubsub.request(GetUser, { id: 'u2' })).rejects.toMatchObject({ statusCode: 404, message: 'user u2 not found' });
  });

  it('makes each handler class its own consumer group: two handlers of one event each get every event, with their own groups', async () => {
    const seen: Array<{ by: string; group: string; userId: string }> = [];
    @Injectable()
    class SendWelcomeHandler {
      @OnEvent(UserRegistered)
      handle({ userId }: PayloadOf<typeof UserRegistered>, message: Message): void {
        seen.push({ by: 'welcome', group: message.group, userId });
      }
    }
    @Injectable()
    class CountSignupsHandler {
      @OnEvent(UserRegistered)
      handle({ userId }: PayloadOf<typeof UserRegistered>, message: Message): void {
        seen.push({ by: 'count', group: message.group, userId });
      }
    }
    app = await start({ providers: [SendWelcomeHandler, CountSignupsHandler] });

    for (const userId of ['u1', 'u2', 'u3']) await app.get(PubSub).emit(UserRegistered, { userId, email: `${userId}@example.com` });

    await waitFor(() => seen.length === 6, { message: 'every event by both handlers' });
    expect(seen.filter((s) => s.by === 'welcome').map((s) => s.userId)).toEqual(['u1', 'u2', 'u3']);
    expect(seen.filter((s) => s.by === 'count').map((s) => s.userId)).toEqual(['u1', 'u2', 'u3']);
    expect(new Set(seen.map((s) => s.group))).toEqual(new Set(['test.send-welcome', 'test.count-signups']));
  });

  it('refuses two methods of one class on one event without their own groups: they would split its events', async () => {
    @Injectable()
    class Confused {
      readonly seen: string[] = [];
      @OnEvent(UserRegistered)
      first(): void {
        this.seen.push('first');
      }
      @OnEvent(UserRegistered)
      second(): void {
        this.seen.push('second');
      }
    }
    await expect(start({ providers: [Confused] })).rejects.toThrow(/both handle test.user.registered in one group/);
  });

  it('shows every tracking event to @OnTrackingEvent(">")', async () => {
    @Injectable()
    class Tracker {
      readonly seen = deferred<TrackingEvent>();
      @OnTrackingEvent('>')
      track(event: TrackingEvent): void {
        this.seen.resolve(event);
      }
    }
    app = await start({ providers: [Tracker] });

    await app.get(PubSub).publishEvent({ name: 'email.sent', labels: { template: 'welcome' } });

    expect(await app.get(Tracker).seen.promise).toMatchObject({ name: 'email.sent', source: 'test', count: 1, labels: { template: 'welcome' } });
  });

  it('waits in app.close() for a handler in flight', async () => {
    const started = deferred();
    const release = deferred();
    const order: string[] = [];
    @Injectable()
    class Slow {
      @OnEvent(UserRegistered)
      async handle(): Promise<void> {
        started.resolve();
        await release.promise;
        order.push('handler finished');
      }
    }
    const running = await start({ providers: [Slow] });
    const pubsub = running.get(PubSub);
    const draining = deferred();
    const close = pubsub.close.bind(pubsub);
    vi.spyOn(pubsub, 'close').mockImplementation(() => (draining.resolve(), close()));

    await pubsub.emit(UserRegistered, { userId: 'u1', email: 'ada@example.com' });
    await started.promise;
    const closing = running.close().then(() => order.push('app closed'));
    await draining.promise;
    order.push('draining');
    release.resolve();
    await closing;

    expect(order).toEqual(['draining', 'handler finished', 'app closed']);
  });
});
