import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidError } from '@mediamagic/errors';
import { z } from 'zod';
import { CE } from './cloudevents';
import { NoRespondersError, RequestTimeoutError } from './errors';
import type { Envelope, Headers } from './message';
import type { Transport } from './transport';

/**
 * The header in which a request carries its deadline: the time (ISO 8601, like `ce-time`) after which its
 * caller no longer waits for the answer. A time rather than a duration, so that it holds however long the
 * request spent on the way, and a handler can hand it on to the requests it makes in turn; the services'
 * clocks must agree to well within a request's timeout (NTP keeps them within milliseconds).
 */
export const DEADLINE_HEADER = 'deadline';

/** How long a caller that names neither a timeout nor a deadline waits: what an HTTP client waits for an answer. */
const DEFAULT_TIMEOUT_MS = 5_000;
/** While nobody listens: the first pause before trying again, doubled after each try up to the longest. */
const FIRST_PAUSE_MS = 50;
const LONGEST_PAUSE_MS = 1_000;

const IsoTime = z.iso.datetime({ offset: true });

/** The earlier of `deadline` and `timeoutMs` from now; 5 s from now when the caller names neither. */
export function deadlineFor({ timeoutMs, deadline }: { timeoutMs?: number; deadline?: Date }): Date {
  if (!deadline) return new Date(Date.now() + (timeoutMs ?? DEFAULT_TIMEOUT_MS));
  if (Number.isNaN(deadline.getTime())) throw new TypeError('deadline is not a valid date');
  return timeoutMs === undefined ? deadline : new Date(Math.min(deadline.getTime(), Date.now() + timeoutMs));
}

/** The deadline a request carries, if any; a header that is not an ISO 8601 time is refused like any other malformed input. */
export function deadlineOf(headers: Headers): Date | undefined {
  const value = headers[DEADLINE_HEADER];
  if (value === undefined) return undefined;
  if (!IsoTime.safeParse(value).success) throw new InvalidError(`the ${DEADLINE_HEADER} header is not an ISO 8601 time`);
  return new Date(value);
}

/**
 * How long one attempt of a request that may be sent twice waits before it is sent again. A request in flight
 * on a broker that dies with it (a lost member of a NATS cluster) gets no answer at all: waiting out the whole
 * deadline would fail it, sending it again reaches a live member.
 */
const ATTEMPT_MS = 2_000;

/**
 * Sends the request; while nobody listens on its subject (a service starting or restarting), tries again,
 * backing off, until the deadline, so the caller waits for the service instead of failing at once. A request
 * that is `idempotent` (a read) or carries an Idempotency-Key (its responder answers a repeat with the first
 * answer) may be sent twice, so an attempt without an answer is sent again too. Here, above the transports, so
 * that NATS and the memory broker wait alike.
 */
export async function requestBefore(transport: Transport, envelope: Envelope, deadline: Date, idempotent = false): Promise<Envelope> {
  const resendable = idempotent || envelope.headers[CE.idempotencyKey] !== undefined;
  const waited = () => new RequestTimeoutError(envelope.subject, Date.now() - started);
  const started = Date.now();
  let nobody: NoRespondersError | undefined;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
    const remaining = deadline.getTime() - Date.now();
    if (remaining <= 0) throw nobody ?? waited();
    try {
      return await transport.request(envelope, resendable ? Math.min(remaining, ATTEMPT_MS) : remaining);
    } catch (error) {
      if (resendable && error instanceof RequestTimeoutError) {
        if (deadline.getTime() > Date.now()) continue;
        throw waited();
      }
      if (!(error instanceof NoRespondersError)) throw error;
      nobody = error;
      const left = deadline.getTime() - Date.now();
      if (left > 0) await sleep(Math.min(pause, left));
    }
  }
}
