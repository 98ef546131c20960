import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@mediamagic/testing';

const FIXTURE = join(import.meta.dirname, 'testing', 'service.fixture.ts');

/** Starts the fixture service; resolves once it logged that it is ready. */
async function startFixture(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  await waitFor(() => output.includes('ready in'), { timeoutMs: 20_000, message: `the fixture to be ready (output: ${output})` });
  return { child, exit, output: () => output };
}

describe('stopping a service', () => {
  it('exits 0 on SIGTERM once the application closed', async () => {
    const service = await startFixture({ FIXTURE_CLOSE_MS: '200' });
    service.child.kill('SIGTERM');
    expect((await service.exit).code).toBe(0);
    expect(service.output()).toContain('stopped');
  });

  it('exits 1 at once on a second SIGTERM while the first one is still closing', async () => {
    const service = await startFixture({ FIXTURE_CLOSE_MS: 'never' });
    service.child.kill('SIGTERM');
    await waitFor(() => service.output().includes('finishing the work in flight'), { timeoutMs: 5_000, message: 'the stop to begin' });
    const secondAt = Date.now();
    service.child.kill('SIGTERM');
    const { code, at } = await service.exit;
    expect(code).toBe(1);
    expect(at - secondAt).toBeLessThan(2_000);
  });

  it('exits 1 when closing takes longer than the bound', async () => {
    const service = await startFixture({ FIXTURE_CLOSE_MS: 'never', FIXTURE_TIMEOUT_MS: '500' });
    const sentAt = Date.now();
    service.child.kill('SIGTERM');
    const { code, at } = await service.exit;
    expect(code).toBe(1);
    expect(at - sentAt).toBeGreaterThanOrEqual(500);
    expect(service.output()).toContain('not stopped after 500 ms');
  });
});
