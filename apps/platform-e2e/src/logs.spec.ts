import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, serviceSpec, SERVICES, startNatsServer, type NatsServer, type Service } from '@mediamagic/testing';

/** Runs a built service until it exits (these configurations make it exit at once), with only the given environment. */
function run(service: Service, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, serviceSpec(service).main)], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

/** The service's logs as JSON lines: `LOG_FORMAT=json`, and the default off a terminal, as in a container. */
describe('the logs of a service', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mm-logs-'));
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each<Record<string, string>>([{}, { LOG_FORMAT: 'json' }])('are JSON lines, each naming the service, with no password in them (%o)', async (format) => {
    const { code, output } = await run('user-service', {
      ...format,
      DATA_DIR: dataDir,
      NATS_ADDR: nats.url,
      HEALTH_PORT: String(await freePort()),
      DATABASE_URL: `postgres://app:hunter2@127.0.0.1:${await freePort()}/users`,
    });
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.every((entry) => entry['service'] === 'user-service' && typeof entry['time'] === 'string' && typeof entry['level'] === 'string')).toBe(true);
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 'error', msg: expect.stringMatching(/cannot connect to PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1/) }),
    );
    expect(output).not.toContain('hunter2');
  });

  it.each(SERVICES)('%s refuses an unknown LOG_FORMAT or LOG_LEVEL, saying which values it takes', async (service) => {
    const { code, output } = await run(service, { DATA_DIR: dataDir, LOG_FORMAT: 'xml', LOG_LEVEL: 'loud' });
    expect(code).toBe(1);
    expect(output).toMatch(/LOG_FORMAT: must be 'json' or 'pretty'/);
    expect(output).toMatch(/LOG_LEVEL: must be 'error', 'warn', 'info' or 'debug'/);
  });
});
