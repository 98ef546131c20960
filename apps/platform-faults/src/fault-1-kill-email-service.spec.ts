/*
 * The fault-injection suite (`npx nx run platform-faults:test`, part of `npm test` and `.ci/run`).
 *
 * Each fault-N spec is one scenario on a platform of its own: the five built apps as separate
 * processes, a real nats-server, a real SMTP server and a PostgreSQL the test owns (Platform and
 * startPostgresServer from @mediamagic/testing). A scenario injects its fault, lets clients carry on as
 * real ones would (a failed request is retried with the same Idempotency-Key), waits for the effects a
 * user can see, and prints one line, also appended to tmp/faults-summary.txt:
 *
 *   fault 1 kill -9 email-service: published 400, delivered 400, lost 0, duplicated 0, resent (same Message-ID) 0, ...
 *
 * published: the events the scenario caused; delivered: the expected emails that arrived at the SMTP
 * server; lost: expected emails that never came plus analytics counts that fall short; duplicated: an
 * expected email that came twice with different Message-IDs plus counts above the truth; resent: the
 * same email (same Message-ID, `<event-id@mediamagic>`) sent again after a crash, told apart because a
 * mail client shows it once. Lost and duplicated must be 0. A failing scenario names its log folder,
 * tmp/fault-N-logs/<instance>.log. The scenarios run one after the other (two cores).
 */
import { inParallel } from './support/client';
import { deploymentNames, notificationsOf, settledOutcome } from './support/deployments';
import { explain, report, SUBJECT } from './support/effects';
import { usePlatform } from './support/scenario';

const DEPLOYMENTS = 200;
const OWNER = 'owner@example.com';

/**
 * Fault 1: email-service is killed with SIGKILL (no chance to finish anything) while 200 deployments
 * are being created, and started again while they still come in. Every deployment's two notifications
 * (created, running) reach the owner, each exactly once; a resend with the same Message-ID (sent, then
 * killed before it was recorded) is reported apart.
 */
describe('fault 1: kill -9 email-service during 200 deployments', () => {
  const scenario = usePlatform('fault-1', { provisioningDelayMs: 500 });

  it('sends all 400 notifications, each once, after the restart', async () => {
    const { platform, client } = scenario;
    const token = await client.verifiedUser(platform.smtp, OWNER);
    const startedAt = Date.now();
    const names = deploymentNames(DEPLOYMENTS);

    let created = 0;
    let crash: Promise<unknown> | undefined;
    let restart: Promise<void> | undefined;
    await inParallel(names, 8, async (name) => {
      expect((await client.createDeployment(token, name)).status).toBe(202);
      created++;
      // Killed a quarter of the way in, back at three quarters: both while events flow.
      if (created === DEPLOYMENTS / 4) crash = platform.kill('email-service', 'SIGKILL');
      if (created === (DEPLOYMENTS * 3) / 4) restart = crash!.then(() => platform.startService('email-service'));
    });
    await restart;

    const expected = notificationsOf(OWNER, names);
    const counts = { 'deployment.created': DEPLOYMENTS, 'deployment.succeeded': DEPLOYMENTS, 'email.sent': expected.length + 1 };
    const { running, ...seen } = await settledOutcome(scenario, { expected, counts, token });

    const outcome = { ...seen, notes: [`running ${running}/${DEPLOYMENTS}`, `client retries ${client.retries}`] };
    const { lost, duplicated } = report('fault 1 kill -9 email-service', startedAt, outcome);

    const why = explain(outcome, platform.logDir);
    expect(lost, why).toBe(0);
    expect(duplicated, why).toBe(0);
    expect(running).toBe(DEPLOYMENTS);
    // Besides the notifications, only the owner's verification email, once.
    expect(outcome.inbox.others.map((email) => email.subject)).toEqual([SUBJECT.verify]);
  });
});
