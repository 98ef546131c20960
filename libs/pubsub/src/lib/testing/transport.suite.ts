import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@mediamagic/testing';
import { z } from 'zod';
import { CE } from '../cloudevents';
import { contextOf } from '../context';
import { readDeadLetter, type DeadLetter } from '../dead-letter';
import { PermanentError, RemoteError } from '../errors';
import { defineEvent } from '../event-definition';
import { defineRequest } from '../request-definition';
import { protobuf } from '../protobuf.codec';
import { parse } from 'protobufjs';
import { NotFoundError } from '@mediamagic/errors';
import type { Message } from '../message';
import type { SubscribeOptions } from '../pubsub-options';
import { duplicator, type Middleware } from '../middleware';
import type { PubSub } from '../pubsub';
import type { RetryPolicy } from '../retry';

/** What a transport's test file provides to run the suite against it. */
export interface SuiteHarness {
  /** A PubSub for `service` on this test's broker (streams for `test.>` included). */
  connect(service: string, options?: { middlewares?: Middleware[]; retry?: Partial<RetryPolicy>; propagateContext?: boolean }): Promise<PubSub>;
  /** Stops the broker, then starts it again (real brokers only). */
  restartBroker?(): Promise<void>;
  dispose(): Promise<void>;
}

/** A responder too busy to read its requests for `ms`: the event loop is held, as by a burst of work. */
function holdEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy on purpose: nothing else in this process runs meanwhile.
  }
}

const FAST_RETRY: Partial<RetryPolicy> = { initialDelayMs: 20, maxDelayMs: 200 };
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (data: Uint8Array) => new TextDecoder().decode(data);

/**
 * Watermill's idea: one suite that every transport must pass, so the in-memory transport used in
 * unit tests cannot drift from NATS.
 */
export function transportSuite(name: string, setup: () => Promise<SuiteHarness>, { brokerRestarts = false } = {}): void {
  describe(`${name} transport (universal suite)`, () => {
    let harness: SuiteHarness;
    const clients: PubSub[] = [];
    const connect = async (service: string, options?: Parameters<SuiteHarness['connect']>[1]) => {
      const client = await harness.connect(service, options);
      clients.push(client);
      return client;
    };
    /** A subject no other test uses. */
    const topic = (label: string) => `test.${label}.${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      harness = await setup();
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.close()));
    });
    afterAll(async () => {
      await harness.dispose();
    });

    describe.each(['at-most-once', 'at-least-once'] as const)('%s', (delivery) => {
      it('carries an event encoded with Protocol Buffers: the subscriber gets the typed payload, the wire the protobuf bytes', async () => {
        const { root } = parse(
          'syntax = "proto3"; package test; message Provisioned { string deployment_id = 1; uint32 replicas = 2; repeated string tags = 3; }',
          { keepCase: true },
        );
        const Type = root.lookupType('test.Provisioned');
        const Provisioned = defineEvent({
          subject: topic('proto'),
          version: 1,
          delivery,
          codec: protobuf(Type),
          schema: z.strictObject({ deployment_id: z.string(), replicas: z.number().int(), tags: z.array(z.string()) }),
        });
        const consumer = await connect('proto-consumer');
        const payloads: unknown[] = [];
        const wire: Message[] = [];
        await consumer.on(Provisioned, async (payload) => void payloads.push(payload), { group: 'typed' });
        await consumer.subscribe(Provisioned.subject, async (message) => void wire.push(message), { delivery, group: 'raw' });
        const publisher = await connect('proto-publisher');
        const payload = { deployment_id: 'd-1', replicas: 3, tags: ['gpu', 'eu'] };

        await publisher.emit(Provisioned, payload);
        await expect(publisher.emit(Provisioned, { ...payload, replicas: 'three' } as never)).rejects.toThrow(/replicas/);

        await waitFor(() => payloads.length === 1 && wire.length === 1, { message: 'the typed payload and the raw message' });
        expect(payloads[0]).toEqual(payload);
        expect(wire[0].headers[CE.contentType]).toBe('application/protobuf; messagetype=test.Provisioned');
        expect(Type.toObject(Type.decode(wire[0].data))).toEqual(payload);
      });

      it('delivers payload, headers and CloudEvents attributes intact, and keeps topics apart', async () => {
        const publisher = await connect('publisher');
        const consumer = await connect('consumer');
        const [a, b] = [topic('a'), topic('b')];
        const got: Message[] = [];
        const onB: Message[] = [];
        await consumer.subscribe(a, async (message) => void got.push(message), { delivery });
        await consumer.subscribe(b, async (message) => void onB.push(message), { delivery });

        const id = await publisher.publish(a, encode('hello'), {
          delivery,
          headers: { 'X-Custom': 'kept' },
          context: { correlationId: 'corr-1', idempotencyKey: 'idem-1' },
        });

        const [message] = await waitFor(() => got.length === 1 && got, { message: 'the message' });
        expect(decode(message.data)).toBe('hello');
        expect(message.id).toBe(id);
        expect(message.headers).toMatchObject({
          [CE.id]: id,
          [CE.specversion]: '1.0',
          [CE.type]: a,
          [CE.source]: 'publisher',
          [CE.contentType]: 'application/octet-stream',
          'x-custom': 'kept',
        });
        expect(new Date(message.headers[CE.time]).getTime()).not.toBeNaN();
        expect(message.correlationId).toBe('corr-1');
        expect(message.idempotencyKey).toBe('idem-1');
        expect(message.attempt).toBe(1);
        expect(message.group).toBe('consumer');
        // Nothing leaked to the other topic, and nothing arrived twice.
        await publisher.publish(b, encode('marker'), { delivery });
        await waitFor(() => onB.length === 1, { message: 'marker on b' });
        expect(got).toHaveLength(1);
        expect(decode(onB[0].data)).toBe('marker');
      });

      it('fans out to every group and load-balances inside a group', async () => {
        const subject = topic('groups');
        const publisher = await connect('publisher');
        const byGroup = { analytics: [] as string[], email: [] as string[] };
        const byInstance = [[], [], []] as string[][];
        const analytics = await connect('analytics');
        await analytics.subscribe(subject, async (m) => void byGroup.analytics.push(m.id), { delivery });
        for (const received of byInstance) {
          const instance = await connect('email');
          await instance.subscribe(
            subject,
            async (m) => {
              received.push(m.id);
              byGroup.email.push(m.id);
            },
            { delivery },
          );
        }

        const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => publisher.publish(subject, encode(`event ${i}`), { delivery })));

        await waitFor(() => byGroup.analytics.length === 50 && byGroup.email.length === 50, { message: '50 events in each group' });
        expect(new Set(byGroup.analytics)).toEqual(new Set(ids));
        expect(new Set(byGroup.email)).toEqual(new Set(ids));
        expect(byGroup.email).toHaveLength(new Set(byGroup.email).size);
        for (const received of byInstance) expect(received.length).toBeGreaterThan(0);
      });
    });

    it('reads 5,000 messages with 50 concurrent subscribers in one group: none lost, none twice', async () => {
      const subject = topic('many');
      const seen = new Map<string, number>();
      for (let c = 0; c < 5; c++) {
        const client = await connect('workers');
        for (let s = 0; s < 10; s++) {
          await client.subscribe(subject, async (m) => void seen.set(m.id, (seen.get(m.id) ?? 0) + 1), {
            delivery: 'at-least-once',
            concurrency: 4,
          });
        }
      }
      const publisher = await connect('publisher');
      const ids: string[] = [];
      for (let batch = 0; batch < 50; batch++) {
        ids.push(...(await Promise.all(Array.from({ length: 100 }, () => publisher.publish(subject, encode('x'), { delivery: 'at-least-once' })))));
      }

      await waitFor(() => seen.size === 5_000, { timeoutMs: 60_000, message: '5,000 distinct messages' });
      expect([...seen.keys()].sort()).toEqual([...ids].sort());
      expect([...seen.values()].every((count) => count === 1)).toBe(true);
    }, 90_000);

    it('redelivers a failing message with backoff until it succeeds, and goes on with the others', async () => {
      const subject = topic('retry');
      const consumer = await connect('flaky', { retry: FAST_RETRY });
      const attempts: number[] = [];
      const done: string[] = [];
      await consumer.subscribe(
        subject,
        async (m) => {
          if (decode(m.data) === 'flaky') {
            attempts.push(m.attempt);
            if (m.attempt < 3) throw new Error(`attempt ${m.attempt} fails`);
          }
          done.push(decode(m.data));
        },
        { delivery: 'at-least-once', concurrency: 2 },
      );
      const publisher = await connect('publisher');

      await publisher.publish(subject, encode('flaky'), { delivery: 'at-least-once' });
      await publisher.publish(subject, encode('fine'), { delivery: 'at-least-once' });

      await waitFor(() => done.includes('flaky') && done.includes('fine'), { message: 'both messages handled' });
      expect(attempts).toEqual([1, 2, 3]);
      expect(done.filter((body) => body === 'flaky')).toHaveLength(1);
    });

    it('stores a republished at-least-once event once: its id is the de-duplication id', async () => {
      const subject = topic('dedup');
      const received: string[] = [];
      const consumer = await connect('dedup');
      await consumer.subscribe(subject, async (m) => void received.push(decode(m.data)), { delivery: 'at-least-once' });
      const publisher = await connect('publisher');
      const id = randomUUID();
      await publisher.publish(subject, encode('first'), { delivery: 'at-least-once', id });
      await publisher.publish(subject, encode('retry of first'), { delivery: 'at-least-once', id });
      await publisher.publish(subject, encode('second'), { delivery: 'at-least-once' });
      await waitFor(() => received.includes('second'), { message: 'the second event' });
      expect(received).toEqual(['first', 'second']);
    });

    it('keeps at-least-once events published while the only subscriber is down, and delivers them when it returns', async () => {
      const subject = topic('offline');
      const first = await connect('reader');
      const received: string[] = [];
      const subscription = await first.subscribe(subject, async (m) => void received.push(decode(m.data)), { delivery: 'at-least-once' });
      await subscription.close();

      const publisher = await connect('publisher');
      for (let i = 0; i < 20; i++) await publisher.publish(subject, encode(String(i)), { delivery: 'at-least-once' });
      expect(received).toEqual([]);

      const again = await connect('reader');
      await again.subscribe(subject, async (m) => void received.push(decode(m.data)), { delivery: 'at-least-once' });
      await waitFor(() => received.length === 20, { message: '20 events after the comeback' });
      expect(received).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    });

    it('starts a new group where it asks: all that is stored, only new events, a stream sequence, or a time', async () => {
      const subject = topic('start');
      const publisher = await connect('publisher');
      const reader = await connect('reader');
      const publish = (text: string) => publisher.publish(subject, encode(text), { delivery: 'at-least-once' });
      const read = async (group: string, from: SubscribeOptions['from']) => {
        const seen: Message[] = [];
        await reader.subscribe(subject, async (m) => void seen.push(m), { delivery: 'at-least-once', group, from });
        return seen;
      };
      /** Until the clock has moved past `time`: the broker's stored timestamps and ours are both milliseconds or finer. */
      const after = (time: number) => waitFor(() => Date.now() > time + 1, { message: 'the clock to move on' });

      await publish('one');
      await after(Date.now());
      const between = new Date();
      await after(between.getTime());
      await publish('two');
      await publish('three');
      const all = await read('reader.all', 'all');
      await waitFor(() => all.length === 3, { message: 'the three stored events' });
      expect(all.map((m) => decode(m.data))).toEqual(['one', 'two', 'three']);
      // Sequences grow in publishing order: where a group may start.
      const [first, second, third] = all.map((m) => m.sequence!);
      expect(first! < second! && second! < third!).toBe(true);

      const fromSequence = await read('reader.sequence', { sequence: third! });
      const fromTime = await read('reader.time', { time: between });
      const onlyNew = await read('reader.new', 'new');
      await publish('four');
      await waitFor(() => fromSequence.length === 2 && fromTime.length === 3 && onlyNew.length === 1, { message: 'each group from where it started' });
      expect(fromSequence.map((m) => decode(m.data))).toEqual(['three', 'four']);
      expect(fromTime.map((m) => decode(m.data))).toEqual(['two', 'three', 'four']);
      expect(onlyNew.map((m) => decode(m.data))).toEqual(['four']);
      expect([...all, ...fromSequence, ...fromTime, ...onlyNew].some((m) => m.replayed)).toBe(false);
      await expect(read('reader.bad', { sequence: 0 })).rejects.toThrow(/from must be/);
    });

    it('dead-letters after the maximum attempts and on schema-invalid payloads, with the reason, and keeps working', async () => {
      const Ordered = defineEvent({
        subject: topic('orders'),
        version: 1,
        schema: z.object({ orderId: z.string(), amount: z.number().positive() }),
        delivery: 'at-least-once',
      });
      const deadLetters: Array<DeadLetter & { id: string }> = [];
      const observer = await connect('observer');
      await observer.subscribe('dead-letter.billing.>', async (m) => void deadLetters.push({ ...readDeadLetter(m), id: m.id }), {
        delivery: 'at-least-once',
        from: 'new',
      });
      const billing = await connect('billing', { retry: { ...FAST_RETRY, maxAttempts: 3 } });
      const handled: string[] = [];
      await billing.on(Ordered, async (order) => {
        if (order.orderId === 'cursed') throw new Error('payment provider rejects it');
        if (order.orderId === 'refund') throw new PermanentError('refunds are not handled here\nsee the billing runbook');
        handled.push(order.orderId);
      });
      const publisher = await connect('publisher');

      await expect(publisher.emit(Ordered, { orderId: 'bad', amount: -1 })).rejects.toThrow(/amount/);
      const cursedId = await publisher.emit(Ordered, { orderId: 'cursed', amount: 5 });
      const poisonId = await publisher.publish(Ordered.subject, encode('{"orderId": 42}'), { delivery: 'at-least-once' });
      const refundId = await publisher.emit(Ordered, { orderId: 'refund', amount: 3 });
      await publisher.emit(Ordered, { orderId: 'fine', amount: 10 });

      await waitFor(() => deadLetters.length === 3 && handled.includes('fine'), { message: 'three dead letters and the good order' });
      const cursed = deadLetters.find((letter) => letter.id === cursedId)!;
      expect(cursed).toMatchObject({ group: 'billing', attempts: 3, subject: Ordered.subject });
      expect(cursed.reason).toMatch(/payment provider rejects it/);
      const poison = deadLetters.find((letter) => letter.id === poisonId)!;
      expect(poison).toMatchObject({ group: 'billing', attempts: 1, subject: Ordered.subject });
      expect(poison.reason).toMatch(/orderId/);
      // Not retried, and its multi-line reason kept on one header line.
      const refund = deadLetters.find((letter) => letter.id === refundId)!;
      expect(refund).toMatchObject({ attempts: 1, reason: 'PermanentError: refunds are not handled here see the billing runbook' });
      expect(handled).toEqual(['fine']);
    });

    it('close() waits for the handler in flight, which can still publish, and nothing is lost', async () => {
      const subject = topic('drain');
      const after = topic('after');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const finished: string[] = [];
      const followUps: string[] = [];
      let started = 0;
      const first = await harness.connect('drainer');
      await first.subscribe(
        subject,
        async (m) => {
          started++;
          if (started === 1) {
            await gate;
            // Still connected and allowed to publish: close() has not gone past this handler.
            await first.publish(after, m.data, { delivery: 'at-least-once' });
          }
          finished.push(decode(m.data));
        },
        { delivery: 'at-least-once' },
      );
      const observer = await connect('observer');
      await observer.subscribe(after, async (m) => void followUps.push(decode(m.data)), { delivery: 'at-least-once' });
      const publisher = await connect('publisher');
      for (let i = 0; i < 10; i++) await publisher.publish(subject, encode(String(i)), { delivery: 'at-least-once' });
      await waitFor(() => started === 1, { message: 'the first handler to start' });

      const order: string[] = [];
      const closing = first.close().then(() => order.push('closed'));
      // The handler goes on working for a while after close() started: close() must wait for it.
      const working = setTimeout(release, 300);
      await closing;
      clearTimeout(working);
      order.unshift(...finished.map((body) => `handled ${body}`));
      expect(order).toEqual(['handled 0', 'closed']);
      await waitFor(() => followUps.length === 1, { message: "the in-flight handler's follow-up event" });
      expect(followUps).toEqual(['0']);

      const second = await connect('drainer');
      await second.subscribe(subject, async (m) => void finished.push(decode(m.data)), { delivery: 'at-least-once' });
      // Messages the first subscriber had pulled but not started come back after a short delay.
      await waitFor(() => new Set(finished).size === 10, { timeoutMs: 20_000, message: 'all 10 messages handled across the restart' });
      expect(finished.filter((body) => body === '0')).toHaveLength(1);
    }, 60_000);

    it('with propagateContext, carries correlation id, idempotency key and trace context onto what a handler publishes', async () => {
      const [incoming, outgoing] = [topic('in'), topic('out')];
      const relay = await connect('relay', { propagateContext: true });
      await relay.subscribe(incoming, async () => void (await relay.publish(outgoing, encode('caused'))));
      const sink = await connect('sink');
      const caused: Message[] = [];
      await sink.subscribe(outgoing, async (m) => void caused.push(m));
      const publisher = await connect('publisher');

      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const cause = await publisher.publish(incoming, encode('cause'), {
        context: { correlationId: 'req-7', idempotencyKey: 'key-7' },
        headers: { traceparent },
      });

      const [message] = await waitFor(() => caused.length === 1 && caused, { message: 'the caused event' });
      expect(message.correlationId).toBe('req-7');
      expect(message.idempotencyKey).toBe('key-7');
      expect(message.headers[CE.causationId]).toBe(cause);
      expect(message.headers['traceparent']).toBe(traceparent);
    });

    it('by default, carries the same context when the handler passes contextOf(message), and nothing implicitly', async () => {
      const [incoming, outgoing] = [topic('in'), topic('out')];
      const relay = await connect('relay');
      await relay.subscribe(incoming, async (m) => {
        await relay.publish(outgoing, encode('caused'), { context: contextOf(m) });
        await relay.publish(outgoing, encode('uncaused'));
      });
      const sink = await connect('sink');
      const caused: Message[] = [];
      await sink.subscribe(outgoing, async (m) => void caused.push(m));
      const publisher = await connect('publisher');

      const cause = await publisher.publish(incoming, encode('cause'), { context: { correlationId: 'req-8', idempotencyKey: 'key-8' } });

      await waitFor(() => caused.length === 2, { message: 'both events' });
      const [withContext, without] = ['caused', 'uncaused'].map((body) => caused.find((m) => decode(m.data) === body)!);
      expect(withContext).toMatchObject({ correlationId: 'req-8', idempotencyKey: 'key-8' });
      expect(withContext.headers[CE.causationId]).toBe(cause);
      // Nothing is carried implicitly: the handler did not run inside the message's context.
      expect(without.correlationId).toBeUndefined();
      expect(without.headers[CE.causationId]).toBeUndefined();
    });

    it('dead-letters a schema-invalid at-most-once event instead of dropping it silently', async () => {
      const Pinged = defineEvent({ subject: topic('ping'), version: 1, schema: z.object({ at: z.string() }), delivery: 'at-most-once' });
      const deadLetters: DeadLetter[] = [];
      const observer = await connect('observer');
      await observer.subscribe('dead-letter.pinger.>', async (m) => void deadLetters.push(readDeadLetter(m)), {
        delivery: 'at-least-once',
        from: 'new',
      });
      const pinger = await connect('pinger');
      const pings: string[] = [];
      await pinger.on(Pinged, async (ping) => void pings.push(ping.at));
      const publisher = await connect('publisher');
      await publisher.publish(Pinged.subject, encode('{"at": 1}'));
      await publisher.emit(Pinged, { at: 'noon' });
      await waitFor(() => deadLetters.length === 1 && pings.length === 1, { message: 'the dead letter and the valid ping' });
      expect(deadLetters[0]).toMatchObject({ group: 'pinger', subject: Pinged.subject });
      expect(deadLetters[0].reason).toMatch(/at/);
    });

    it('runs a duplicator middleware: every message is handled twice', async () => {
      const subject = topic('dup');
      const consumer = await connect('dup', { middlewares: [duplicator()] });
      const calls: string[] = [];
      await consumer.subscribe(subject, async (m) => void calls.push(m.id), { delivery: 'at-least-once' });
      const publisher = await connect('publisher');
      const id = await publisher.publish(subject, encode('once'), { delivery: 'at-least-once' });
      await waitFor(() => calls.length === 2, { message: 'two calls' });
      expect(calls).toEqual([id, id]);
    });

    it('publishes and counts tracking events, matched by wildcard patterns', async () => {
      const analytics = await connect('analytics');
      const name = `test.signup.${randomUUID().slice(0, 8)}`;
      const seen: Array<{ name: string; count: number; source: string; labels: Record<string, string> }> = [];
      await analytics.subscribeEvent('test.signup.*', async (event) => void seen.push(event), { from: 'new' });
      const web = await connect('web');
      await web.publishEvent({ name, labels: { plan: 'pro' } });
      await web.publishEvent({ name, count: 3 });
      await waitFor(() => seen.length === 2, { message: 'two tracking events' });
      expect(seen.map((e) => e.count).reduce((a, b) => a + b)).toBe(4);
      expect(seen[0]).toMatchObject({ name, source: 'web', labels: { plan: 'pro' } });
      await expect(web.publishEvent({ name: 'Not Valid!' })).rejects.toThrow(/name/);
    });

    it('answers requests, and a responder error keeps its status instead of becoming a timeout', async () => {
      // Not under `test.>`: JetStream would answer a request on a subject it stores with its own ack.
      const GetUser = defineRequest({
        subject: `rpc.users.get.${randomUUID().slice(0, 8)}`,
        request: z.object({ id: z.string() }),
        response: z.object({ id: z.string(), name: z.string() }),
      });
      const service = await connect('users');
      await service.reply(GetUser, async ({ id }) => {
        if (id === 'boom') throw new Error('password hash of ada is ...');
        if (id !== 'u1') throw new NotFoundError(`user ${id} not found`);
        return { id, name: 'Ada' };
      });
      const gateway = await connect('gateway');
      await expect(gateway.request(GetUser, { id: 'u1' })).resolves.toEqual({ id: 'u1', name: 'Ada' });
      const failure = await gateway.request(GetUser, { id: 'nope' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RemoteError);
      expect(failure).toMatchObject({ statusCode: 404, message: 'user nope not found', errorName: 'NotFoundError' });
      // Anything but a domain error is internal: its text stays with the responder.
      await expect(gateway.request(GetUser, { id: 'boom' })).rejects.toMatchObject({ statusCode: 500, message: 'internal error' });
      await expect(gateway.request(GetUser, { id: 7 } as never)).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/id/) });
    });

    describe('request deadlines', () => {
      /** A request answered with the deadline its handler saw; not under `test.>`, as above. */
      const newEcho = () =>
        defineRequest({
          subject: `rpc.echo.${randomUUID().slice(0, 8)}`,
          request: z.object({ text: z.string() }),
          response: z.object({ deadline: z.string() }),
        });

      it('waits for a responder that starts after the request was sent (a service starting), and fails with 503 only at the deadline', async () => {
        const Echo = newEcho();
        const caller = await connect('caller');
        const late = await connect('late');

        const answer = caller.request(Echo, { text: 'hi' }, { timeoutMs: 5_000 });
        // The scenario, not a synchronisation: the service comes up 300 ms after the request left.
        await sleep(300);
        await late.reply(Echo, (_request, message) => ({ deadline: message.deadline!.toISOString() }));

        await expect(answer).resolves.toEqual({ deadline: expect.any(String) });
        const Nobody = newEcho();
        const started = Date.now();
        await expect(caller.request(Nobody, { text: 'anyone?' }, { timeoutMs: 400 })).rejects.toMatchObject({
          statusCode: 503,
          message: `no service answers ${Nobody.subject}`,
        });
        expect(Date.now() - started).toBeGreaterThanOrEqual(390);
      });

      it("hands the caller's deadline to the handler: the one it names, or its timeout from now", async () => {
        const Echo = newEcho();
        const service = await connect('echo');
        await service.reply(Echo, (_request, message) => ({ deadline: message.deadline!.toISOString() }));
        const caller = await connect('caller');
        const deadline = new Date(Date.now() + 3_000);

        await expect(caller.request(Echo, { text: 'by then' }, { deadline })).resolves.toEqual({ deadline: deadline.toISOString() });
        const before = Date.now();
        const { deadline: fromTimeout } = await caller.request(Echo, { text: 'within' }, { timeoutMs: 2_000 });
        expect(Date.parse(fromTimeout)).toBeGreaterThanOrEqual(before + 2_000);
        expect(Date.parse(fromTimeout)).toBeLessThanOrEqual(Date.now() + 2_000);
        // The earlier of the two wins.
        await expect(caller.request(Echo, { text: 'earlier' }, { deadline, timeoutMs: 60_000 })).resolves.toEqual({ deadline: deadline.toISOString() });
      });

      it('does not start a handler whose deadline passed before the request reached it, and answers 504', async () => {
        const Echo = newEcho();
        const handled: string[] = [];
        const service = await connect('busy');
        await service.reply(Echo, ({ text }, message) => {
          handled.push(text);
          return { deadline: message.deadline!.toISOString() };
        });
        const caller = await connect('caller');

        const expired = caller.request(Echo, { text: 'too late' }, { timeoutMs: 50 });
        holdEventLoop(100);

        await expect(expired).rejects.toMatchObject({ statusCode: 504 });
        // Requests reach the responder in order: once a later one is answered, the expired one was seen.
        await caller.request(Echo, { text: 'in time' });
        expect(handled).toEqual(['in time']);
      });

      it('sends a request with an Idempotency-Key again when an attempt gets no answer in time; one without a key only once', async () => {
        const Echo = newEcho();
        const seen: string[] = [];
        const service = await connect('forgetful');
        await service.reply(Echo, async ({ text }, message) => {
          seen.push(text);
          // The first delivery's answer comes too late, as if it had been lost with a broker that died.
          if (seen.length === 1) await sleep(3_000);
          return { deadline: message.deadline!.toISOString() };
        });
        const caller = await connect('caller');

        const keyed = { timeoutMs: 5_000, context: { idempotencyKey: 'resend-1' } };
        await expect(caller.request(Echo, { text: 'keyed' }, keyed)).resolves.toEqual({ deadline: expect.any(String) });
        expect(seen).toEqual(['keyed', 'keyed']);
        // Without a key a repeat could act twice: the caller waits out its deadline instead.
        seen.length = 0;
        await expect(caller.request(Echo, { text: 'unkeyed' }, { timeoutMs: 2_500 })).rejects.toMatchObject({ statusCode: 504 });
        expect(seen).toEqual(['unkeyed']);
      }, 20_000);
    });

    it('lets every live (at-most-once) group hear an at-least-once event as it is published, besides its durable consumers', async () => {
      const Shipped = defineEvent({ subject: topic('shipped'), version: 1, schema: z.object({ orderId: z.string() }), delivery: 'at-least-once' });
      const publisher = await connect('shop');
      const listener = await connect('listener');
      const heard: string[] = [];
      for (const group of ['view-1', 'view-2', 'durable'] as const) {
        const live = group === 'durable' ? {} : { delivery: 'at-most-once' as const };
        await listener.on(Shipped, ({ orderId }) => void heard.push(`${group} ${orderId}`), { group, ...live });
      }

      await publisher.emit(Shipped, { orderId: 'o1' });

      await waitFor(() => heard.length === 3, { timeoutMs: 5_000, message: 'both live groups and the durable one' });
      expect(heard.sort()).toEqual(['durable o1', 'view-1 o1', 'view-2 o1']);
    });

    it('dead-letters a broken event in its durable groups only: a live listener skips it', async () => {
      const Shipped = defineEvent({ subject: topic('shipped'), version: 1, schema: z.object({ orderId: z.string() }), delivery: 'at-least-once' });
      const publisher = await connect('shop');
      const listener = await connect('listener');
      const deadLetters: DeadLetter[] = [];
      await listener.subscribe(`dead-letter.*.${Shipped.subject}`, async (m) => void deadLetters.push(readDeadLetter(m)));
      const heard: string[] = [];
      await listener.on(Shipped, ({ orderId }) => void heard.push(`live ${orderId}`), { group: 'view', delivery: 'at-most-once' });
      await listener.on(Shipped, ({ orderId }) => void heard.push(`durable ${orderId}`), { group: 'durable' });

      await publisher.publish(Shipped.subject, encode('{"orderId": 7}'), { delivery: 'at-least-once' });
      await publisher.emit(Shipped, { orderId: 'o2' });

      await waitFor(() => heard.length === 2 && deadLetters.length >= 1, {
        timeoutMs: 10_000,
        message: 'the good event heard and the broken one dead-lettered',
      });
      expect(heard.sort()).toEqual(['durable o2', 'live o2']);
      expect(deadLetters.map((letter) => letter.group)).toEqual(['durable']);
    });

    if (brokerRestarts) {
      it('tells onInterrupted listeners when the connection was lost, and live subscriptions hear again after the reconnect', async () => {
        const subject = topic('interrupted');
        const listener = await connect('interrupted');
        let interruptions = 0;
        listener.onInterrupted(() => interruptions++);
        const heard: string[] = [];
        await listener.subscribe(subject, async (m) => void heard.push(decode(m.data)));

        await harness.restartBroker!();
        await waitFor(() => interruptions >= 2, { timeoutMs: 20_000, message: 'a disconnect and a reconnect' });

        const publisher = await connect('after-restart');
        await waitFor(
          async () => {
            await publisher.publish(subject, encode('again'));
            return heard.includes('again');
          },
          { timeoutMs: 20_000, message: 'the live subscription to hear again' },
        );
      }, 60_000);

      it('loses no at-least-once event when the broker restarts during 10,000 publishes from many publishers', async () => {
        const subject = topic('restart');
        const seen = new Map<string, number>();
        const consumer = await connect('survivor');
        await consumer.subscribe(subject, async (m) => void seen.set(m.id, (seen.get(m.id) ?? 0) + 1), {
          delivery: 'at-least-once',
          concurrency: 32,
          // Acks lost in the outage come back after this, not after the default 30 s.
          ackWaitMs: 3_000,
        });
        const publishers = await Promise.all(Array.from({ length: 10 }, (_, i) => connect(`publisher-${i}`)));
        const ids: string[] = [];
        const run = Promise.all(
          publishers.map(async (publisher) => {
            for (let batch = 0; batch < 20; batch++) {
              ids.push(...(await Promise.all(Array.from({ length: 50 }, () => publisher.publish(subject, encode('survive'), { delivery: 'at-least-once' })))));
            }
          }),
        );
        await waitFor(() => ids.length >= 2_000, { timeoutMs: 30_000, message: 'publishing under way' });
        await harness.restartBroker!();
        await run;

        await waitFor(() => seen.size === 10_000, { timeoutMs: 90_000, message: '10,000 distinct events after the restart' });
        expect(new Set(ids).size).toBe(10_000);
        expect([...ids].every((id) => seen.has(id))).toBe(true);
        const redelivered = [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
        console.log(`broker restart: 10000 published, ${seen.size} delivered, 0 lost, ${redelivered} redelivered`);
      }, 150_000);
    }
  });
}
