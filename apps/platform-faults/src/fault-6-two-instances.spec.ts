import { hostname } from 'node:os';
import { instanceName, type Platform, type Service } from '@mediamagic/testing';
import { inParallel } from './support/client';
import { query } from './support/database';
import { explain, report, settle, SUBJECT, tallyCounts, tallyInbox } from './support/effects';
import { usePlatform } from './support/scenario';

const DEPLOYMENTS = 60;
const USERS = 10;
const OWNER = 'owner@example.com';

/**
 * Fault 6 (scaling out): two processes of email-service and two of analytics-service, sharing their
 * service's database. Inside a group each event goes to one instance: every email is sent once and
 * every count is exact, and both instances take a share (each consumer records in processed_events
 * which process, `<hostname>:<pid>`, handled an event).
 */
describe('fault 6: two instances of email-service and of analytics-service', () => {
  const scenario = usePlatform('fault-6', { instances: { 'email-service': 2, 'analytics-service': 2 } });

  it('handles each event once per service, and both instances take a share', async () => {
    const { platform, client } = scenario;
    const startedAt = Date.now();
    const token = await client.verifiedUser(platform.smtp, OWNER);
    const names = Array.from({ length: DEPLOYMENTS }, (_, i) => `d-${i + 1}`);
    const emails = Array.from({ length: USERS }, (_, i) => `user-${i + 1}@example.com`);
    await Promise.all([
      inParallel(names, 4, async (name) => {
        expect((await client.createDeployment(token, name)).status).toBe(202);
      }),
      inParallel(emails, 2, async (email) => {
        expect((await client.register(email)).status).toBe(201);
      }),
    ]);

    const expected = [
      ...[OWNER, ...emails].map((to) => ({ to, subject: SUBJECT.verify })),
      ...names.flatMap((name) => [
        { to: OWNER, subject: SUBJECT.created(name) },
        { to: OWNER, subject: SUBJECT.running(name) },
      ]),
    ];
    const counts = {
      'user.registered': USERS + 1,
      'user.verified': 1,
      'deployment.created': DEPLOYMENTS,
      'deployment.succeeded': DEPLOYMENTS,
      'email.sent': expected.length,
    };
    const total = Object.values(counts).reduce((a, b) => a + b);
    await settle(() => tallyInbox(platform.smtp, expected).delivered === expected.length, 90_000);
    await settle(async () => tallyCounts(await client.analytics(), counts).counted === total, 30_000);
    const email = await shares(platform, 'email-service');
    const analytics = await shares(platform, 'analytics-service');

    const outcome = {
      published: expected.length,
      inbox: tallyInbox(platform.smtp, expected),
      analytics: tallyCounts(await client.analytics().catch(() => ({})), counts),
      notes: [`email-service shares ${email.summary}`, `analytics-service shares ${analytics.summary}`],
    };
    const { lost, duplicated } = report('fault 6 two instances of email-service and analytics-service', startedAt, outcome);

    const why = explain(outcome, platform.logDir);
    expect(lost, why).toBe(0);
    expect(duplicated, why).toBe(0);
    for (const service of [email, analytics]) {
      expect(service.error).toBeUndefined();
      expect(service.repeated, 'events recorded twice in one group').toBe(0);
      // Both processes, and only they, handled events.
      expect(Object.keys(service.byInstance).sort()).toEqual(service.instances);
      for (const handled of Object.values(service.byInstance)) expect(handled).toBeGreaterThan(0);
    }
  });
});

/** How many events each instance of a service handled, from its processed_events table, and whether one was handled twice. */
async function shares(platform: Platform, service: Service) {
  const instances = [1, 2].map((i) => instanceName(service, i));
  const byProcess = Object.fromEntries([1, 2].map((i) => [`${hostname()}:${platform.pid(service, i)}`, instanceName(service, i)]));
  const url = platform.databaseUrl(service)!;
  try {
    const rows = await query<{ processed_by: string; n: string }>(url, 'select processed_by, count(*) as n from processed_events group by processed_by');
    const repeated = await query(url, 'select consumer_group, event_id from processed_events group by 1, 2 having count(*) > 1');
    const byInstance = Object.fromEntries(rows.map((row) => [byProcess[row.processed_by] ?? row.processed_by, Number(row.n)]));
    const summary = Object.entries(byInstance)
      .map(([name, n]) => `${name} ${n}`)
      .join(' / ');
    return { instances, byInstance, repeated: repeated.length, summary, error: undefined };
  } catch (error) {
    const message = (error as Error).message;
    return { instances, byInstance: {}, repeated: 0, summary: `unknown (${message})`, error: message };
  }
}
