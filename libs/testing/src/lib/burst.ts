import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** An answer as a client sees it; status 0 when none came (refused, reset, or the client's timeout). */
export interface HttpAnswer {
  status: number;
  /** `Retry-After` in seconds, when the answer has one. */
  retryAfterSeconds?: number;
  body: string;
}

/** How many answers of each status, e.g. `{ 201: 40, 503: 960 }`. */
export type StatusCounts = Record<number, number>;

/**
 * One JSON request sent from a given local address: on Linux all of 127.0.0.0/8 is this machine, so one test
 * plays clients at many addresses, as the gateway's per-address limits see them, without leaving loopback.
 */
export function requestFrom(from: string, url: string, { method = 'POST', json, headers = {}, timeoutMs = 30_000 }: RequestOptions = {}): Promise<HttpAnswer> {
  const body = json === undefined ? undefined : JSON.stringify(json);
  const contentType: Record<string, string> =
    body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve) => {
    // A fresh connection each: every request is a client of its own.
    const sent = request(url, { method, localAddress: from, agent: false, headers: { ...headers, ...contentType }, timeout: timeoutMs }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('error', () => resolve({ status: 0, body: text }));
      response.on('end', () => {
        const retryAfter = Number(response.headers['retry-after']);
        resolve({ status: response.statusCode ?? 0, body: text, ...(Number.isFinite(retryAfter) && { retryAfterSeconds: retryAfter }) });
      });
    });
    sent.on('timeout', () => sent.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    sent.on('error', (error) => resolve({ status: 0, body: error.message }));
    sent.end(body);
  });
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface BurstOptions {
  registrations: number;
  /** Wrong passwords for `victim`'s account, sent in the same moment. */
  wrongLogins?: number;
  victim?: string;
  /** How many client addresses it comes from (127.0.1.1 and on, at most 254): spread thin, no per-address limit stops it alone. */
  addresses: number;
}

/** An attack on the unauthenticated routes: every request at once, from `addresses` addresses; the answers by status. */
export async function authBurst(baseUrl: string, options: BurstOptions): Promise<{ registrations: StatusCounts; wrongLogins: StatusCounts }> {
  if (options.addresses < 1 || options.addresses > 254) throw new Error('addresses: from 1 to 254');
  const from = (i: number) => `127.0.1.${1 + (i % options.addresses)}`;
  const registrations = Array.from({ length: options.registrations }, (_, i) =>
    requestFrom(from(i), `${baseUrl}/users`, { json: { email: `burst-${i + 1}@example.com`, name: 'Burst', password: 'burst password' } }),
  );
  const wrongLogins = Array.from({ length: options.wrongLogins ?? 0 }, (_, i) =>
    requestFrom(from(options.registrations + i), `${baseUrl}/auth/login`, { json: { email: options.victim, password: `wrong password ${i}` } }),
  );
  return { registrations: countStatuses(await Promise.all(registrations)), wrongLogins: countStatuses(await Promise.all(wrongLogins)) };
}

export interface SignUp {
  /** The last answers: 201 and 200 when it worked. */
  registered: number;
  loggedIn: number;
  /** From the first request until logged in, or until it gave up. */
  ms: number;
  /** Every answer's status, in order: `[201, 200]` when nothing had to be repeated. */
  statuses: number[];
}

/**
 * A user who was not part of any attack registers and logs in from an address of its own, as a well-behaved
 * client does: told to wait (429, 503 with Retry-After), it waits; a failure of the platform (5xx, no answer)
 * it sends again a second later, with the same Idempotency-Key. Gives up after `timeoutMs` in all.
 */
export async function signUpAndLogIn(baseUrl: string, email: string, { from = '127.0.2.1', timeoutMs }: { from?: string; timeoutMs: number }): Promise<SignUp> {
  const began = Date.now();
  const deadline = began + timeoutMs;
  const statuses: number[] = [];
  const until = async (path: string, json: unknown, success: number, headers: Record<string, string> = {}): Promise<number> => {
    for (;;) {
      const answer = await requestFrom(from, `${baseUrl}${path}`, { json, headers, timeoutMs: Math.max(1, deadline - Date.now()) });
      statuses.push(answer.status);
      const retryable = answer.status === 0 || answer.status === 429 || answer.status >= 500;
      const waitMs = (answer.retryAfterSeconds ?? 1) * 1000;
      if (answer.status === success || !retryable || Date.now() + waitMs >= deadline) return answer.status;
      await sleep(waitMs);
    }
  };
  const password = 'a normal password';
  const registered = await until('/users', { email, name: 'Newcomer', password }, 201, { 'idempotency-key': `sign-up-${email}` });
  const loggedIn = registered === 201 ? await until('/auth/login', { email, password }, 200) : 0;
  return { registered, loggedIn, ms: Date.now() - began, statuses };
}

function countStatuses(answers: HttpAnswer[]): StatusCounts {
  const counts: StatusCounts = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
