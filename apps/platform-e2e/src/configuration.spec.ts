import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, serviceSpec, SERVICES, type Service } from '@mediamagic/testing';

/** Runs a built service until it exits (it should, at once), with only the given environment. */
function run(service: Service, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, serviceSpec(service).main)], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...env },
    });
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

describe('a service started with a wrong configuration', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mm-config-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each(SERVICES)('%s exits 1 naming the wrong variable, without echoing its value', async (service) => {
    const { code, output } = await run(service, { DATA_DIR: dataDir, NATS_ADDR: 'not a url, nats://', DATABASE_URL: 'mysql://root:hunter2@db/x' });
    expect(code).toBe(1);
    expect(output).toMatch(/invalid configuration/);
    expect(output).toMatch(/NATS_ADDR: /);
    if (serviceSpec(service).database) expect(output).toMatch(/DATABASE_URL: must be a PostgreSQL URL/);
    expect(output).not.toContain('hunter2');
  });

  it('exits 1 with the reason when NATS does not answer', async () => {
    const { code, output } = await run('gateway', { DATA_DIR: dataDir, NATS_ADDR: `nats://127.0.0.1:${await freePort()}`, PORT: String(await freePort()) });
    expect(code).toBe(1);
    expect(output).toMatch(/cannot start: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/);
  });
});
