import { readFileSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import { waitFor } from '@mediamagic/testing';
import { inParallel } from './support/client';
import { explain, report, settle, SUBJECT, tallyCounts, tallyInbox } from './support/effects';
import { usePlatform } from './support/scenario';

const USERS = 10;
const OUTAGE_MS = 10_000;

/**
 * Fault 3: the SMTP server refuses connections for 10 seconds while users register. Their
 * verification emails are retried with backoff (email-service logs each retry) and all sent once the
 * server is back: none lost, none sent twice.
 */
describe('fault 3: the SMTP server refuses connections for 10 s', () => {
  const scenario = usePlatform('fault-3');

  it('retries the emails with backoff and sends each once when the server is back', async () => {
    const { platform, client } = scenario;
    const startedAt = Date.now();
    const emails = Array.from({ length: USERS }, (_, i) => `outage-${i + 1}@example.com`);
    // One email before: email-service holds an SMTP connection open when the server goes down.
    expect((await client.register('before@example.com')).status).toBe(201);
    await waitFor(() => platform.smtp.to('before@example.com').length === 1, { timeoutMs: 30_000, message: 'the first email' });

    await platform.smtp.refuseConnections();
    const down = Date.now();
    await inParallel(emails, 4, async (email) => {
      expect((await client.register(email)).status).toBe(201);
    });
    // The fault's duration, not a synchronisation: the server stays away for 10 s in all.
    await setTimeout(Math.max(0, OUTAGE_MS - (Date.now() - down)));
    const duringOutage = platform.smtp.messages.length - 1;
    await platform.smtp.acceptConnections();

    const expected = ['before@example.com', ...emails].map((to) => ({ to, subject: SUBJECT.verify }));
    const counts = { 'user.registered': USERS + 1, 'email.sent': USERS + 1 };
    await settle(() => tallyInbox(platform.smtp, expected).delivered === expected.length, 120_000);
    await settle(async () => tallyCounts(await client.analytics(), counts).counted === 2 * (USERS + 1), 30_000);

    const retries = [...readFileSync(platform.logFile('email-service'), 'utf8').matchAll(/user\.registered.*failed on attempt (\d+), retry in (\d+) ms/g)];
    const delays = retries.map((match) => Number(match[2]));
    const outcome = {
      published: USERS + 1,
      inbox: tallyInbox(platform.smtp, expected),
      analytics: tallyCounts(await client.analytics().catch(() => ({})), counts),
      notes: [`retries ${retries.length} (delays ${Math.min(...delays)}..${Math.max(...delays)} ms)`],
    };
    const { lost, duplicated } = report('fault 3 SMTP refuses connections for 10 s', startedAt, outcome);

    const why = explain(outcome, platform.logDir);
    expect(lost, why).toBe(0);
    expect(duplicated, why).toBe(0);
    expect(duringOutage).toBe(0);
    // Retried, and with a growing delay: backoff, not a tight loop.
    expect(retries.length, why).toBeGreaterThanOrEqual(USERS);
    expect(Math.max(...delays), why).toBeGreaterThan(Math.min(...delays));
  });
});
