import { authBurst, signUpAndLogIn } from '@mediamagic/testing';
import { printLine } from './support/effects';
import { usePlatform } from './support/scenario';

const REGISTRATIONS = 1_000;
const WRONG_LOGINS = 200;
// Spread thin (about 19 requests each, under the 30 a minute an address may send): the per-address limit alone
// does not stop it, so the bounded hashing queue, the deadlines and the slowing of failed logins must.
const ADDRESSES = 64;
const RECOVERY_MS = 15_000;
const VICTIM = 'victim@example.com';

/**
 * Abuse (bounded: 1,201 requests on loopback, every one with a timeout): 1,000 registrations and 200 wrong
 * passwords for one account, all at once, from 64 addresses; then a user who was not part of it registers and
 * logs in from an address of its own, as a well-behaved client (waiting when told to), within 15 seconds.
 * The platform runs with the gateway's limits as configured by default.
 */
describe('abuse: 1,000 registrations and 200 wrong logins at once', () => {
  const scenario = usePlatform('abuse', { rateLimits: true });

  it('leaves registration and login working for a new user within 15 s', async () => {
    const { platform, client } = scenario;
    expect((await client.register(VICTIM)).status).toBe(201);
    const startedAt = Date.now();

    const burst = await authBurst(platform.baseUrl, { registrations: REGISTRATIONS, wrongLogins: WRONG_LOGINS, victim: VICTIM, addresses: ADDRESSES });
    const burstMs = Date.now() - startedAt;
    const newcomer = await signUpAndLogIn(platform.baseUrl, 'newcomer@example.com', { timeoutMs: RECOVERY_MS });

    printLine(
      `abuse ${REGISTRATIONS} registrations and ${WRONG_LOGINS} wrong logins from ${ADDRESSES} addresses: ` +
        `registrations answered ${JSON.stringify(burst.registrations)}, wrong logins ${JSON.stringify(burst.wrongLogins)}, ` +
        `all answered in ${(burstMs / 1000).toFixed(1)} s; then a new user: registration ${newcomer.registered}, login ${newcomer.loggedIn}, ` +
        `${(newcomer.ms / 1000).toFixed(1)} s, answers ${newcomer.statuses.join(' ')} (logs in ${platform.logDir})`,
    );
    expect(newcomer).toMatchObject({ registered: 201, loggedIn: 200 });
    expect(newcomer.ms).toBeLessThan(RECOVERY_MS);
    // Every request of the attack had an answer, and none was an internal error.
    for (const answers of [burst.registrations, burst.wrongLogins]) {
      expect(answers[0], 'requests without an answer').toBeUndefined();
      expect(answers[500], 'internal errors').toBeUndefined();
    }
  });
});
