import { explain, report, settle, SUBJECT, tallyCounts, tallyInbox } from './support/effects';
import { PASSWORD } from './support/client';
import { usePlatform } from './support/scenario';

const EMAIL = 'crash@example.com';

/**
 * Fault 4: user-service dies (SIGKILL, by a fault hook that only an environment variable enables)
 * right after the registration's transaction committed, before the event left for NATS. The client
 * sees a failure. After a restart without the hook the event is published from the outbox: the
 * verification email arrives once, analytics counts one registration, and the client's retry with
 * the same Idempotency-Key gets the first answer instead of a second user.
 */
describe('fault 4: user-service killed between commit and publish', () => {
  const scenario = usePlatform('fault-4');

  it('publishes the committed registration after the restart, once', async () => {
    const { platform, client } = scenario;
    const startedAt = Date.now();
    await platform.kill('user-service', 'SIGTERM');
    await platform.startService('user-service', 1, { FAULT_KILL_AFTER_COMMIT: 'users.register' });

    const request = { json: { email: EMAIL, name: 'Crash', password: PASSWORD }, headers: { 'idempotency-key': `register-${EMAIL}` } };
    const first = await client.call('POST', '/users', request);
    const died = first.status >= 500 && (await settle(() => !platform.isRunning('user-service'), 30_000));
    const exit = await platform.exited('user-service');
    // Without the hook (not implemented) the service still runs: restart it all the same, so the line says what happened.
    if (platform.isRunning('user-service')) await platform.kill('user-service', 'SIGTERM');
    await platform.startService('user-service');
    const retry = await client.send('POST', '/users', { json: request.json, key: request.headers['idempotency-key'] });

    const expected = [{ to: EMAIL, subject: SUBJECT.verify }];
    const counts = { 'user.registered': 1, 'email.sent': 1 };
    await settle(() => tallyInbox(platform.smtp, expected).delivered === 1, 60_000);
    await settle(async () => tallyCounts(await client.analytics(), counts).counted === 2, 30_000);
    const login = await client.call('POST', '/auth/login', { json: { email: EMAIL, password: PASSWORD } });

    const outcome = {
      published: 1,
      inbox: tallyInbox(platform.smtp, expected),
      analytics: tallyCounts(await client.analytics().catch(() => ({})), counts),
      notes: [`first answer ${first.status}`, `user-service ${died ? `died by ${exit.signal ?? exit.code}` : 'did not die'}`, `retry answered ${retry.status}`],
    };
    const { lost, duplicated } = report('fault 4 kill user-service after commit, before publish', startedAt, outcome);

    const why = explain(outcome, platform.logDir);
    expect(first.status, 'the hook kills user-service before it answers').toBeGreaterThanOrEqual(500);
    expect(exit.signal).toBe('SIGKILL');
    expect(lost, why).toBe(0);
    expect(duplicated, why).toBe(0);
    expect(login.status, 'the committed user can log in').toBe(200);
    expect(retry.status, 'the retry with the same key gets the first answer').toBe(201);
    expect(outcome.inbox.others).toEqual([]);
  });
});
