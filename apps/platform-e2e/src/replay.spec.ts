import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Platform, ROOT, waitFor } from '@mediamagic/testing';
import { call } from './support/http';

const PASSWORD = 'correct horse battery';

/**
 * `npm run replay` against the platform as it runs: five processes, a real nats-server and SMTP server. A
 * service started on an empty database gets its events back from the streams: analytics-service reaches the
 * same counts, email-service sends nothing again.
 */
describe('replay (npm run replay) into a service with an empty database', () => {
  let platform: Platform;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(platform.baseUrl, method, path, options);
  const summary = async () => (await api('GET', '/analytics/summary')).body as { counts: Record<string, number>; total: number; lastEventAt: string | null };
  /** A POST as a careful client sends it on a busy machine: again, with the same Idempotency-Key, while the platform answers 5xx. */
  const post = async (path: string, json: unknown, key: string, token?: string) => {
    let answer = await api('POST', path, { json, token, headers: { 'idempotency-key': key } });
    for (const deadline = Date.now() + 60_000; answer.status >= 500 && Date.now() < deadline;) {
      answer = await api('POST', path, { json, token, headers: { 'idempotency-key': key } });
    }
    return answer;
  };
  // The minutes that counted something: the series' window is the last hour, which moves on while the test runs.
  const byModel = async () => {
    const series = (await api('GET', '/analytics/series?name=deployment.created&interval=minute&label=model')).body;
    return { ...series, points: series.points.filter((point: { count: number }) => point.count > 0) };
  };

  /** The script as an operator runs it; its summary as JSON. */
  const replay = async (target: string) => {
    const { stdout, stderr } = await promisify(execFile)(
      join(ROOT, 'node_modules/.bin/tsx'),
      ['--tsconfig', 'tsconfig.base.json', 'scripts/replay.ts', target, '--json'],
      {
        cwd: ROOT,
        env: { PATH: process.env['PATH'], NATS_ADDR: platform.nats.url },
        timeout: 60_000,
      },
    );
    // What an operator sees: progress on stderr, the summary on stdout.
    console.log(`$ npm run replay -- ${target} --json\n${stderr}${stdout}`);
    expect(stderr).toMatch(new RegExp(`replaying to ${target}`));
    return JSON.parse(stdout) as Array<{ group: string; subject: string; delivered: number; skipped: number; deadLettered: number }>;
  };
  /** Stops the service and starts it again on a database of its own that is empty. */
  const restartEmpty = async (service: string) => {
    await platform.kill(service, 'SIGTERM');
    await platform.startService(service, 1, { DATA_DIR: mkdtempSync(join(tmpdir(), `mm-empty-${service}-`)) });
  };

  beforeAll(async () => {
    // Embedded databases of its own even when E2E_POSTGRES is set: the other suites share those, and this one empties one.
    const shared = process.env['E2E_POSTGRES'];
    delete process.env['E2E_POSTGRES'];
    try {
      platform = await Platform.start({ suite: 'replay', provisioningDelayMs: 200 });
    } finally {
      if (shared !== undefined) process.env['E2E_POSTGRES'] = shared;
    }
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('rebuilds analytics-service to the same counts, sends no email again, and other groups see nothing', async () => {
    // Some history: a user who verifies and deploys two models.
    expect((await post('/users', { email: 'ada@example.com', name: 'Ada', password: PASSWORD }, 'register')).status).toBe(201);
    const verification = await waitFor(() => platform.smtp.to('ada@example.com').find((mail) => /verify/i.test(mail.subject ?? '')), {
      timeoutMs: 60_000,
      message: 'the verification email',
    });
    const token = verification.text!.match(/token=([\w-]+)/)![1]!;
    expect((await post('/users/verify', { token }, 'verify')).status).toBe(200);
    const login = await post('/auth/login', { email: 'ada@example.com', password: PASSWORD }, 'login');
    for (const [i, model] of ['llama-3', 'llama-3', 'mistral-7b'].entries()) {
      expect((await post('/deployments', { name: `chat-${i}`, model }, `deploy-${i}`, login.body.accessToken)).status).toBe(202);
    }
    // Three deployments created and running: an email each time, and analytics has counted it all.
    await waitFor(() => platform.smtp.messages.length === 7, { timeoutMs: 60_000, message: '7 emails (1 verification, 3 created, 3 running)' });
    await waitFor(async () => (await summary()).counts['email.sent'] === 7 && (await summary()).counts['deployment.succeeded'] === 3, {
      timeoutMs: 60_000,
      message: 'analytics to count every event',
    });
    const before = await summary();
    const seriesBefore = await byModel();
    expect(seriesBefore.points.at(-1).values).toMatchObject({ 'llama-3': expect.any(Number) });
    expect(seriesBefore.points.reduce((sum: number, point: { values: Record<string, number> }) => sum + (point.values['mistral-7b'] ?? 0), 0)).toBe(1);

    // analytics-service replaced, its database empty: its consumers are past every event, so it counts nothing.
    await restartEmpty('analytics-service');
    expect(await summary()).toEqual({ counts: {}, total: 0, lastEventAt: null });

    const rebuilt = await replay('analytics-service');
    expect(rebuilt.every((it) => it.group === 'analytics-service.count-event' && it.skipped === 0 && it.deadLettered === 0)).toBe(true);
    expect(await summary()).toEqual(before);
    expect(await byModel()).toEqual(seriesBefore);
    // email-service's groups read the same subjects and saw none of it.
    expect(platform.smtp.messages).toHaveLength(7);

    // email-service replaced the same way: every replayed event is skipped, no email leaves, even with no record of the first ones.
    await restartEmpty('email-service');
    const emails = await replay('email-service');
    expect(emails.map((it) => it.group).sort()).toEqual([
      'email-service.notify-deployment-owner',
      'email-service.notify-deployment-owner',
      'email-service.notify-deployment-owner',
      'email-service.send-verification-email',
    ]);
    expect(emails.every((it) => it.skipped === it.delivered)).toBe(true);
    expect(emails.reduce((sum, it) => sum + it.delivered, 0)).toBe(7);
    // And it still works: the next deployment is announced, once.
    expect((await post('/deployments', { name: 'after', model: 'llama-3' }, 'deploy-after', login.body.accessToken)).status).toBe(202);
    await waitFor(() => platform.smtp.messages.length === 9, { timeoutMs: 60_000, message: 'the emails of the new deployment' });
    expect(platform.smtp.messages.filter((mail) => /chat-/.test(mail.subject ?? ''))).toHaveLength(6);
    // Analytics counted the new events once, after its replay.
    await waitFor(async () => (await summary()).counts['deployment.created'] === 4, { timeoutMs: 60_000, message: 'the new deployment counted' });
  }, 300_000);
});
