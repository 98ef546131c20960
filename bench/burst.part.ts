/**
 * Part 6: recovery after a burst. 1,000 registrations at once from 64 loopback addresses (about 16 each, under
 * the default 30 a minute per address: no per-address limit stops it), then a new user registers and logs in
 * from an address of its own; the figure is how long that took from the moment the burst's last answer came.
 */
import { authBurst, signUpAndLogIn, type Platform } from '@mediamagic/testing';
import { BURST_REGISTRATIONS, BURST_WAIT_SECONDS } from './config';
import { log, type PartOutcome } from './part';
import { limitResult } from './report';

const ADDRESSES = 64;
/** What the abuse test (apps/platform-faults) demands. */
const RECOVERY_LIMIT_MS = 15_000;

export async function burstPart(platform: Platform): Promise<PartOutcome> {
  const began = performance.now();
  const { registrations } = await authBurst(platform.baseUrl, { registrations: BURST_REGISTRATIONS, addresses: ADDRESSES });
  const burstMs = performance.now() - began;
  log(`6 burst of ${BURST_REGISTRATIONS} registrations answered in ${Math.round(burstMs)} ms: ${JSON.stringify(registrations)}`);
  const newcomer = await signUpAndLogIn(platform.baseUrl, 'newcomer@example.com', { timeoutMs: BURST_WAIT_SECONDS * 1000 });
  const recovered = newcomer.registered === 201 && newcomer.loggedIn === 200;
  log(`6 then a new user: registration ${newcomer.registered}, login ${newcomer.loggedIn}, ${newcomer.ms} ms, answers ${newcomer.statuses.join(' ')}`);

  const result = {
    ...limitResult(
      6,
      `burst of ${BURST_REGISTRATIONS} registrations: recovery (new user registered and logged in)`,
      'ms',
      recovered ? newcomer.ms : Number.NaN,
      RECOVERY_LIMIT_MS,
      recovered ? undefined : `not recovered within ${BURST_WAIT_SECONDS} s: registration answered ${newcomer.registered}, login ${newcomer.loggedIn}`,
    ),
    comparison: `burst answered in ${Math.round(burstMs)} ms: ${statusList(registrations)}`,
  };
  const method =
    `A fresh platform with the gateway's default limits. ${BURST_REGISTRATIONS} POST /users at once, each on a connection of its own from ` +
    `one of ${ADDRESSES} loopback addresses (127.0.1.x), every one with a 30 s client timeout; once the last has its answer, a new user ` +
    `(from 127.0.2.1) registers and logs in as a well-behaved client: on 429 or 503 it waits the Retry-After, on another failure ` +
    `(5xx, no answer) it sends again after 1 s with the same Idempotency-Key. The figure is the time from the burst's last answer until ` +
    `the login answered 200 (answers this run: ${newcomer.statuses.join(' ')}), n/a when it did not within ${BURST_WAIT_SECONDS} s.`;
  return { results: [result], method };
}

/** `201 x40, 503 x960`. */
function statusList(counts: Record<number, number>): string {
  return Object.entries(counts)
    .map(([status, n]) => `${status} x${n}`)
    .join(', ');
}
