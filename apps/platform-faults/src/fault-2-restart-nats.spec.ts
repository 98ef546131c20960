import { setTimeout } from 'node:timers/promises';
import { inParallel } from './support/client';
import { query } from './support/database';
import { explain, report, settle, SUBJECT, tallyCounts, tallyInbox } from './support/effects';
import { usePlatform } from './support/scenario';

const USERS = 1_000;
const OUTAGE_MS = 5_000;

/**
 * Fault 2: nats-server is stopped and started again (same port, same JetStream store) during 1,000
 * registrations. Clients retry what failed with the same Idempotency-Key. Every `user.registered`
 * reaches email-service (one verification email per user) and analytics-service (exact counts).
 */
describe('fault 2: stop and restart nats-server during 1,000 registrations', () => {
  const scenario = usePlatform('fault-2');

  // scrypt makes a registration cost ~0.3 s of CPU: 1,000 of them take minutes on two cores.
  it('delivers every user.registered to email and analytics, exactly', async () => {
    const { platform, client } = scenario;
    const startedAt = Date.now();
    const emails = Array.from({ length: USERS }, (_, i) => `user-${i + 1}@example.com`);

    let registered = 0;
    const statuses: Record<number, number> = {};
    let outage: Promise<void> | undefined;
    // Registrations are CPU-bound (scrypt): a few at a time keep both cores busy.
    await inParallel(emails, 6, async (email) => {
      // A registration that never got an answer is reported, not thrown: the line still says what arrived.
      const status = await client.register(email).then(
        (answer) => answer.status,
        () => 0,
      );
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (++registered === 300) {
        outage = (async () => {
          await platform.nats.stop();
          await setTimeout(OUTAGE_MS); // the fault's duration
          await platform.nats.start();
        })();
      }
    });
    await outage;
    const registeredAt = Date.now();

    const expected = emails.map((to) => ({ to, subject: SUBJECT.verify }));
    const counts = { 'user.registered': USERS, 'email.sent': USERS };
    await settle(() => tallyInbox(platform.smtp, expected).delivered === USERS, 180_000);
    await settle(async () => tallyCounts(await client.analytics(), counts).counted === 2 * USERS, 60_000);
    const users = Number((await query<{ n: string }>(platform.databaseUrl('user-service')!, 'select count(*) as n from users'))[0]!.n);

    const outcome = {
      published: statuses[201] ?? 0,
      inbox: tallyInbox(platform.smtp, expected),
      analytics: tallyCounts(await client.analytics().catch(() => ({})), counts),
      notes: [
        `users ${users}`,
        `answers ${JSON.stringify(statuses)}`,
        `client retries ${client.retries}`,
        `409 on a retry ${client.conflictsOnRetry}`,
        `registrations ${((registeredAt - startedAt) / 1000).toFixed(1)} s`,
      ],
    };
    const { lost, duplicated } = report('fault 2 restart nats-server', startedAt, outcome);

    const why = explain(outcome, platform.logDir);
    expect(lost, why).toBe(0);
    expect(duplicated, why).toBe(0);
    expect(users).toBe(USERS);
    // Every registration was answered 201 in the end: a retry with the same key gets the first answer.
    expect(statuses).toEqual({ 201: USERS });
    expect(client.conflictsOnRetry).toBe(0);
  }, 600_000);
});
