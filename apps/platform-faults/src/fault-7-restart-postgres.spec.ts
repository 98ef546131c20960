import { setTimeout } from 'node:timers/promises';
import type { Service } from '@mediamagic/testing';
import { inParallel } from './support/client';
import { deploymentNames, notificationsOf, settledOutcome } from './support/deployments';
import { explain, report, settle, SUBJECT } from './support/effects';
import { usePlatform } from './support/scenario';

const DEPLOYMENTS = 60;
const USERS = 6;
const OUTAGE_MS = 5_000;
const OWNER = 'owner@example.com';
const WITH_DATABASE: Service[] = ['user-service', 'deployment-service', 'email-service', 'analytics-service'];

/**
 * Fault 7: PostgreSQL is stopped (fast shutdown: every connection is cut) and started again while
 * deployments are created and users register. The services tell it on /health/ready (503 while the
 * database is away) and recover by themselves: the same processes, nothing lost, nothing doubled.
 */
describe('fault 7: PostgreSQL restarted while traffic flows', () => {
  const scenario = usePlatform('fault-7', { provisioningDelayMs: 500 });

  it('recovers without a restart of any service, and loses nothing', async () => {
    const { platform, postgres, client } = scenario;
    const token = await client.verifiedUser(platform.smtp, OWNER);
    const startedAt = Date.now();
    const pids = platform.pids();
    // A process that died will not answer or deliver anything more: no use sending or waiting.
    const gone = () => Object.keys(pids).filter((name) => platform.pids()[name] !== pids[name]);
    // Recovery takes seconds; a request still failing after 30 s counts as failed (status 0).
    const attempt = (answer: Promise<{ status: number }>) =>
      answer.then(
        (a) => a.status,
        () => 0,
      );
    const names = deploymentNames(DEPLOYMENTS);
    const emails = Array.from({ length: USERS }, (_, i) => `user-${i + 1}@example.com`);
    const statuses: Record<number, number> = {};
    const count = (status: number) => (statuses[status] = (statuses[status] ?? 0) + 1);

    let notReady: Service[] = [];
    let traffic: Promise<void> | undefined;
    let outage: Promise<void> | undefined;
    let created = 0;
    await inParallel(names, 2, async (name) => {
      count(gone().length > 0 ? 0 : await attempt(client.createDeployment(token, name, { timeoutMs: 30_000 })));
      if (++created !== DEPLOYMENTS / 3) return;
      // A third of the way in: registrations start too, and the database goes away under both.
      traffic = inParallel(emails, 2, async (email) => void count(gone().length > 0 ? 0 : await attempt(client.register(email, { timeoutMs: 30_000 }))));
      outage = (async () => {
        const down = Date.now();
        await postgres.stop();
        const answered503 = await Promise.all(WITH_DATABASE.map((service) => readiness(platform.healthUrl(service), 503, OUTAGE_MS - 1_000)));
        notReady = WITH_DATABASE.filter((_, i) => answered503[i]);
        await setTimeout(Math.max(0, OUTAGE_MS - (Date.now() - down))); // the fault's duration
        await postgres.start();
      })();
    });
    await Promise.all([traffic, outage]);

    const expected = [...emails.map((to) => ({ to, subject: SUBJECT.verify })), ...notificationsOf(OWNER, names)];
    const counts = { 'user.registered': USERS + 1, 'deployment.created': DEPLOYMENTS, 'deployment.succeeded': DEPLOYMENTS, 'email.sent': expected.length + 1 };
    const { running, ...seen } = await settledOutcome(scenario, { expected, counts, token, countsMs: 60_000, hopeless: () => gone().length > 0 });
    const ready = await Promise.all(WITH_DATABASE.map((service) => readiness(platform.healthUrl(service), 200, 30_000)));

    const outcome = {
      ...seen,
      notes: [
        `running ${running}/${DEPLOYMENTS}`,
        `answers ${JSON.stringify(statuses)}`,
        `client retries ${client.retries}`,
        `not ready while down: ${notReady.join(' ') || 'none'}`,
        `processes that died: ${gone().join(' ') || 'none'}`,
      ],
    };
    const { lost, duplicated } = report('fault 7 PostgreSQL restarted under traffic', startedAt, outcome);

    const why = explain(outcome, platform.logDir);
    // Recovered by themselves: the very same processes.
    expect(gone(), `see their logs in ${platform.logDir}`).toEqual([]);
    expect(lost, why).toBe(0);
    expect(duplicated, why).toBe(0);
    expect(running).toBe(DEPLOYMENTS);
    expect(statuses).toEqual({ 201: USERS, 202: DEPLOYMENTS });
    // Recovered by themselves: ready again.
    expect(ready).toEqual(WITH_DATABASE.map(() => true));
    expect(notReady, 'services report the missing database on /health/ready').toEqual(WITH_DATABASE);
  });
});

/** Whether /health/ready answers `status` within the time. */
function readiness(healthUrl: string, status: number, timeoutMs: number): Promise<boolean> {
  return settle(async () => (await fetch(`${healthUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) })).status === status, timeoutMs);
}
