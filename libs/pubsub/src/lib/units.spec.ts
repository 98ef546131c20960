import { backoffDelay, DEFAULT_RETRY } from './retry';
import { deadlineFor, deadlineOf, requestBefore } from './deadline';
import { RequestTimeoutError } from './errors';
import type { Envelope } from './message';
import type { Transport } from './transport';
import { assertGroup, assertSubject, subjectMatches } from './subject';
import { ConflictError, NotFoundError, UnavailableError } from '@mediamagic/errors';
import { errorReply, readReply } from './reply-protocol';
import { json } from './codec';
import { applyMiddlewares, timeout, type Middleware } from './middleware';
import type { Message } from './message';
import { MemoryTransport } from './memory/memory.transport';
import { PubSub } from './pubsub';
import type { PublishMiddleware } from './pubsub-options';

describe('subjects', () => {
  it('match NATS wildcards', () => {
    expect(subjectMatches('user.*', 'user.registered')).toBe(true);
    expect(subjectMatches('user.*', 'user.registered.v2')).toBe(false);
    expect(subjectMatches('tracking.>', 'tracking.email.sent')).toBe(true);
    expect(subjectMatches('tracking.>', 'tracking')).toBe(false);
    expect(subjectMatches('a.b', 'a.b')).toBe(true);
    expect(subjectMatches('a.b', 'a.c')).toBe(false);
  });

  it('refuse what NATS would misread', () => {
    expect(() => assertSubject('user registered')).toThrow(/invalid subject/);
    expect(() => assertSubject('user.*')).toThrow(/wildcards are not allowed/);
    expect(() => assertSubject('user.>.x', { wildcards: true })).toThrow(/invalid subject/);
    expect(() => assertSubject('')).toThrow(/invalid subject/);
    expect(() => assertGroup('email-service.*')).toThrow(/invalid group/);
    expect(() => assertGroup('email-service.notify-deployment-owner')).not.toThrow();
  });
});

describe('retry backoff', () => {
  it('doubles from the initial delay up to the maximum', () => {
    const policy = { ...DEFAULT_RETRY, initialDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(policy, attempt))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
});

describe('errors across request/reply', () => {
  const roundTrip = (error: unknown) => {
    const logged: string[] = [];
    const reply = errorReply(error, (line) => logged.push(line), 'users.get');
    return {
      failure: (() => {
        try {
          readReply({ subject: 'inbox', ...reply }, json);
        } catch (thrown) {
          return thrown;
        }
      })(),
      logged,
    };
  };

  it("keep a domain error's status, message and details, and log nothing", () => {
    expect(roundTrip(new NotFoundError('deployment not found')).failure).toMatchObject({
      statusCode: 404,
      message: 'deployment not found',
      errorName: 'NotFoundError',
    });
    const { failure, logged } = roundTrip(new ConflictError('email taken', { field: 'email' }));
    expect(failure).toMatchObject({ statusCode: 409, details: { field: 'email' } });
    expect(logged).toEqual([]);
    // Shedding load is an answer, not a fault: a burst must not write a log line per refusal.
    const shed = roundTrip(new UnavailableError('too busy', { retryAfterSeconds: 2 }));
    expect(shed.failure).toMatchObject({ statusCode: 503, message: 'too busy', details: { retryAfterSeconds: 2 } });
    expect(shed.logged).toEqual([]);
  });

  it('hide anything else behind an internal error, logged where it happened', () => {
    const { failure, logged } = roundTrip(new Error('password hash for ada is ...'));
    expect(failure).toMatchObject({ statusCode: 500, message: 'internal error' });
    expect(logged).toEqual([expect.stringContaining('password hash')]);
  });
});

describe('middlewares', () => {
  const message = { id: '1' } as Message;

  it('wrap the handler outermost first', async () => {
    const order: string[] = [];
    const tag =
      (name: string): Middleware =>
      (next) =>
      async (m) => {
        order.push(`${name}:in`);
        await next(m);
        order.push(`${name}:out`);
      };
    await applyMiddlewares(async () => void order.push('handler'), [tag('outer'), tag('inner')])(message);
    expect(order).toEqual(['outer:in', 'inner:in', 'handler', 'inner:out', 'outer:out']);
  });

  it('fail a handler that runs longer than its timeout', async () => {
    const never = applyMiddlewares(() => new Promise<void>(() => undefined), [timeout(20)]);
    await expect(never(message)).rejects.toThrow(/timed out after 20 ms/);
  });
});

describe('publish middlewares', () => {
  it('see every message sent, with its delivery, outermost first, and can stop it', async () => {
    const seen: string[] = [];
    const record =
      (name: string): PublishMiddleware =>
      (next) =>
      async (envelope, delivery) => {
        seen.push(`${name} ${envelope.subject} ${delivery}`);
        if (envelope.subject === 'test.refused') throw new Error('refused by the middleware');
        await next(envelope, delivery);
      };
    const pubsub = new PubSub({ service: 'test', transport: new MemoryTransport(), publishMiddlewares: [record('outer'), record('inner')] });
    try {
      await pubsub.publish('test.bytes', new Uint8Array([1]));
      await pubsub.publishEvent({ name: 'signup' });
      await expect(pubsub.publish('test.refused', new Uint8Array())).rejects.toThrow('refused by the middleware');
      expect(seen).toEqual([
        'outer test.bytes at-most-once',
        'inner test.bytes at-most-once',
        'outer tracking.signup at-least-once',
        'inner tracking.signup at-least-once',
        'outer test.refused at-most-once',
      ]);
    } finally {
      await pubsub.close();
    }
  });
});

describe('request deadlines', () => {
  it('are the earlier of the named deadline and the timeout from now; 5 s from now when neither is named', () => {
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms);
    vi.useFakeTimers({ now, toFake: ['Date'] });
    try {
      expect(deadlineFor({})).toEqual(at(5_000));
      expect(deadlineFor({ timeoutMs: 300 })).toEqual(at(300));
      expect(deadlineFor({ deadline: at(60_000) })).toEqual(at(60_000));
      expect(deadlineFor({ deadline: at(60_000), timeoutMs: 300 })).toEqual(at(300));
      expect(deadlineFor({ deadline: at(100), timeoutMs: 300 })).toEqual(at(100));
      expect(() => deadlineFor({ deadline: new Date('soon') })).toThrow(/not a valid date/);
    } finally {
      vi.useRealTimers();
    }
  });

  /** A broker on which the first attempt is lost (a dying NATS member): no answer, then a timeout. */
  function losingFirstAttempt() {
    const attempts: number[] = [];
    const transport = {
      request: async (envelope: Envelope, timeoutMs: number) => {
        attempts.push(timeoutMs);
        if (attempts.length === 1) throw new RequestTimeoutError(envelope.subject, timeoutMs);
        return { subject: 'reply', data: new Uint8Array(), headers: {} };
      },
    } as unknown as Transport;
    return { transport, attempts };
  }
  const lost = (headers: Record<string, string> = {}): Envelope => ({ subject: 'things.get', data: new Uint8Array(), headers });

  it('send an idempotent request, or one with an Idempotency-Key, again when an attempt gets no answer within 2 s', async () => {
    for (const [idempotent, envelope] of [
      [true, lost()],
      [false, lost({ 'ce-idempotencykey': 'key-1' })],
    ] as const) {
      const { transport, attempts } = losingFirstAttempt();
      await expect(requestBefore(transport, envelope, new Date(Date.now() + 10_000), idempotent)).resolves.toMatchObject({ subject: 'reply' });
      expect(attempts).toHaveLength(2);
      expect(attempts[0]).toBeLessThanOrEqual(2_000);
    }
  });

  it('wait out the whole deadline for a request that may not be sent twice, in one attempt', async () => {
    const { transport, attempts } = losingFirstAttempt();
    await expect(requestBefore(transport, lost(), new Date(Date.now() + 10_000))).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toBeGreaterThan(9_000);
  });

  it('travel as an ISO 8601 time; a header that is not one is refused as invalid input', () => {
    expect(deadlineOf({})).toBeUndefined();
    expect(deadlineOf({ deadline: '2030-01-02T03:04:05.678Z' })).toEqual(new Date('2030-01-02T03:04:05.678Z'));
    for (const value of ['soon', '1767225600000', 'Tue, 01 Jan 2030 00:00:00 GMT', '']) {
      expect(() => deadlineOf({ deadline: value })).toThrow(expect.objectContaining({ kind: 'invalid' }));
    }
  });
});
