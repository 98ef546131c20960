/**
 * Parts 3-6 on the running platform: the five built apps on their own PostgreSQL, a nats-server and the test
 * SMTP server (Platform from @mediamagic/testing), with the gateway's limits as configured by default. Builds
 * the apps first unless BENCH_SKIP_BUILD=1.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Platform, SERVICES, startPostgresServer, waitFor } from '@mediamagic/testing';
import { burstPart } from './burst.part';
import { benchProcesses, loggedReadyMs, restartTimes, rssOf, sampleRss, type ByService } from './cost';
import { fanoutLatencyPart } from './fanout-latency.part';
import { gatewayPart } from './gateway.part';
import { sleep } from './harness';
import { log, type PartOutcome } from './part';
import { limitResult, type Result } from './report';

const ROOT = resolve(import.meta.dirname, '..');
/** No rollout finishes during the bench: only the "is being provisioned" email per deployment. */
const PROVISIONING_DELAY_MS = 3_600_000;
const RSS_LIMIT_MB = 150;
const READY_LIMIT_MS = 2_000;
const PASSWORD = 'bench password 1';

type Titled = { title: string; outcome: PartOutcome };

/**
 * Part 3 runs on one platform, parts 4 and 5 on a second, fresh one: the emails part 3's POSTs leave behind
 * would otherwise still be sent while part 4 measures. Part 6 on a third: its burst leaves work behind too.
 */
export async function platformPart(parts: Set<number>): Promise<Titled[]> {
  if (process.env['BENCH_SKIP_BUILD'] !== '1') {
    log('3-5 building the apps');
    execFileSync('npx', ['nx', 'run-many', '-t', 'build', '--projects=tag:type:app', '--outputStyle=static'], { cwd: ROOT, stdio: 'ignore' });
  }
  const outcomes: Titled[] = [];
  if (parts.has(3)) {
    await onPlatform(async (platform) => {
      const token = await signUp(platform);
      outcomes.push({
        title: '3. Gateway vs bare Fastify (autocannon)',
        outcome: await gatewayPart({ baseUrl: platform.baseUrl, token, processes: (barePid) => benchProcesses(platform, { 'bare Fastify': barePid }) }),
      });
    });
  }
  if (parts.has(4) || parts.has(5)) {
    await onPlatform(async (platform, platformStartMs) => {
      const cold = Object.fromEntries(SERVICES.map((s) => [s, loggedReadyMs(platform, s)])) as ByService;
      log(`5 platform up in ${Math.round(platformStartMs)} ms (logged ready in: ${JSON.stringify(cold)})`);
      // Start times: each service restarted alone, then a few idle seconds before its memory is read.
      const restarts = await restartTimes(platform);
      await sleep(3_000);
      const idle = rssOf(platform);
      log(`5 idle RSS MB: ${JSON.stringify(round(idle))}`);
      const token = await signUp(platform);
      const sampler = sampleRss(platform);
      const fanout = await fanoutLatencyPart(platform, token);
      sampler.stop();
      if (parts.has(4)) outcomes.push({ title: '4. Fan-out latency', outcome: fanout });
      if (parts.has(5)) outcomes.push({ title: '5. Cost: memory and start time', outcome: costOutcome(idle, sampler.peak(), restarts, cold, platformStartMs) });
    });
  }
  if (parts.has(6)) {
    await onPlatform(async (platform) => void outcomes.push({ title: '6. Recovery after a burst of registrations', outcome: await burstPart(platform) }));
  }
  return outcomes;
}

/** The platform on its own PostgreSQL for the duration of `use`. */
async function onPlatform(use: (platform: Platform, startMs: number) => Promise<void>): Promise<void> {
  const postgres = await startPostgresServer();
  let platform: Platform | undefined;
  try {
    const began = performance.now();
    platform = await Platform.start({ suite: 'bench', provisioningDelayMs: PROVISIONING_DELAY_MS, postgres, env: profiling(), rateLimits: process.env['AUTH_RATE_LIMIT'] !== '0' });
    await use(platform, performance.now() - began);
  } finally {
    const codes = await platform?.stop();
    if (codes && Object.values(codes).some((code) => code !== 0)) log(`platform stopped with exit codes ${JSON.stringify(codes)}`);
    await postgres.dispose();
  }
}

function costOutcome(idle: ByService, peak: ByService, restarts: { wall: ByService; logged: ByService }, cold: ByService, platformMs: number): PartOutcome {
  const results: Result[] = [];
  for (const service of SERVICES) {
    results.push({ ...limitResult(5, `${service} RSS idle`, 'MB', idle[service]) });
    results.push(limitResult(5, `${service} RSS peak under the part-4 load`, 'MB', peak[service], RSS_LIMIT_MB));
  }
  for (const service of SERVICES) {
    results.push({
      ...limitResult(5, `${service} start: spawn -> ready`, 'ms', restarts.wall[service], READY_LIMIT_MS),
      comparison: `logs ready in ${Math.round(restarts.logged[service])} ms`,
    });
  }
  const method =
    `RSS = VmRSS of /proc/<pid>/status. Idle: 3 s after the restarts below, before any request. Peak: the highest of samples every 200 ms ` +
    `during part 4 (from its first POST until email and analytics caught up or the bench stopped waiting). Start: each service restarted alone (SIGTERM, then spawn) ` +
    `on the running platform, one after the other: wall time from spawn until its /health/ready answers 200 (node start, module loading, ` +
    `config, database migrations check, NATS connect and stream/consumer setup); the logged N (from startService, after module ` +
    `loading) is beside it. The first, parallel cold start of all five on an empty database took ${Math.round(platformMs)} ms until ` +
    `the gateway was ready; the services logged ${SERVICES.map((s) => `${s} ${Math.round(cold[s])} ms`).join(', ')}.`;
  return { results, method };
}

/** Registers, verifies (the link in the email) and logs in one user; returns the access token. */
async function signUp(platform: Platform): Promise<string> {
  const email = 'bench@example.com';
  const json = (method: string, path: string, body: unknown) =>
    fetch(`${platform.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const registered = await json('POST', '/users', { email, name: 'Bench', password: PASSWORD });
  if (registered.status !== 201) throw new Error(`POST /users answered ${registered.status}: ${await registered.text()}`);
  const mail = await waitFor(() => platform.smtp.to(email).find((m) => /token=/.test(m.text ?? '')), { timeoutMs: 20_000, message: 'the verification email' });
  const token = /token=([\w-]+)/.exec(mail.text ?? '')?.[1];
  const verified = await json('POST', '/users/verify', { token });
  if (verified.status !== 200) throw new Error(`POST /users/verify answered ${verified.status}: ${await verified.text()}`);
  const login = await json('POST', '/auth/login', { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`POST /auth/login answered ${login.status}: ${await login.text()}`);
  return ((await login.json()) as { accessToken: string }).accessToken;
}

/** BENCH_CPU_PROF=<dir>: every service writes a V8 CPU profile there when it stops (bench/cpu-profile.mjs; read with bench/profile-summary.ts). */
function profiling(): Partial<Record<(typeof SERVICES)[number], Record<string, string>>> | undefined {
  const dir = process.env['BENCH_CPU_PROF'];
  if (!dir) return undefined;
  const options = { NODE_OPTIONS: `--import ${resolve(ROOT, 'bench/cpu-profile.mjs')}`, BENCH_CPU_PROF: resolve(dir) };
  return Object.fromEntries(SERVICES.map((service) => [service, options]));
}

function round(values: ByService): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Math.round(v)]));
}
