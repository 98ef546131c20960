import { instanceName, SERVICES, waitFor, type ExitStatus, type Service } from '@mediamagic/testing';
import { Client, type Failure } from './support/client';
import { explain, report, settle, SUBJECT, tallyCounts, tallyInbox } from './support/effects';
import { usePlatform } from './support/scenario';
import { steadyTraffic } from './support/traffic';

const RATE = 20;
const OWNER = 'owner@example.com';
const GATEWAY = 'gateway';
// Every process in turn: both gateways, then each service (services.json's order).
const ORDER: Array<[Service, number]> = SERVICES.flatMap((service): Array<[Service, number]> =>
  service === GATEWAY
    ? [
        [service, 1],
        [service, 2],
      ]
    : [[service, 1]],
);

interface Restart {
  name: string;
  from: number;
  to: number;
  exit?: ExitStatus;
}

/**
 * Fault 8 (a rolling restart): every process is stopped with SIGTERM, waited for, started again and waited
 * for until ready, one after the other, while clients create and read deployments (and read their profile and the
 * analytics) at 20 requests per second.
 * Two gateways, as Kubernetes runs them: the ingress takes one out of its rotation before it stops and back
 * once it is ready, so the clients reach the other meanwhile. A request to a service that is restarting waits
 * for it within its deadline: no request fails, no event is lost or acted on twice.
 */
describe('fault 8: every service restarted in turn under 20 requests per second', () => {
  const scenario = usePlatform('fault-8', { instances: { [GATEWAY]: 2 } });

  it('fails no request, loses no event and doubles none', async () => {
    const { platform, client } = scenario;
    const token = await client.verifiedUser(platform.smtp, OWNER);
    // The ingress: each attempt, a retry too, goes to the next gateway in its rotation.
    const inRotation = new Set([1, 2]);
    let turn = 0;
    const ingress = new Client(() => platform.apiUrl([...inRotation][turn++ % inRotation.size]!));
    const first = await client.createDeployment(token, 'first');
    expect(first.status).toBe(202);
    const startedAt = Date.now();

    const names = ['first'];
    const created: string[] = [first.body.id];
    const statuses: Record<number, number> = {};
    const count = (status: number) => (statuses[status] = (statuses[status] ?? 0) + 1);
    // Every other request creates a deployment; the others read the newest, the caller's profile or the analytics, so
    // that every service answering requests gets some.
    const reads = [() => `/deployments/${created.at(-1)}`, () => '/users/me', () => '/analytics/summary'];
    const traffic = steadyTraffic(RATE, async (n) => {
      if (n % 2 === 1) return void count((await ingress.call('GET', reads[((n - 1) / 2) % reads.length]!(), { token })).status);
      const name = `d-${n / 2 + 1}`;
      names.push(name);
      const answer = await ingress.createDeployment(token, name, { timeoutMs: 60_000 }).catch(() => ({ status: 0, body: undefined }));
      count(answer.status);
      if (answer.status === 202) created.push(answer.body.id);
    });
    await waitFor(() => traffic.sent() >= RATE, { timeoutMs: 10_000, message: 'a second of traffic before the first restart' });

    const restarts: Restart[] = [];
    for (const [service, instance] of ORDER) {
      const restart: Restart = { name: instanceName(service, instance), from: Date.now(), to: Number.POSITIVE_INFINITY };
      restarts.push(restart);
      if (service === GATEWAY) inRotation.delete(instance);
      restart.exit = await platform.restart(service, instance);
      if (service === GATEWAY) inRotation.add(instance);
      restart.to = Date.now();
    }
    await traffic.stop();

    const expected = names.flatMap((name) => [
      { to: OWNER, subject: SUBJECT.created(name) },
      { to: OWNER, subject: SUBJECT.running(name) },
    ]);
    const counts = { 'deployment.created': names.length, 'deployment.succeeded': names.length, 'email.sent': expected.length + 1 };
    const total = Object.values(counts).reduce((a, b) => a + b);
    await settle(() => tallyInbox(platform.smtp, expected).delivered === expected.length, 120_000);
    await settle(async () => tallyCounts(await client.analytics(), counts).counted === total, 30_000);
    const running = (await client.deployments(token).catch(() => [])).filter((d) => d.status === 'running').length;
    const failures = ingress.failures;
    const during = (failure: Failure) => restarts.find((r) => r.from <= failure.at && failure.at <= r.to)?.name ?? 'no restart';

    const outcome = {
      published: expected.length,
      inbox: tallyInbox(platform.smtp, expected),
      analytics: tallyCounts(await client.analytics().catch(() => ({})), counts),
      notes: [
        `requests ${traffic.sent()}`,
        `failed requests ${failures.length}${failures.length ? ` (${tally(failures.map(during))})` : ''}`,
        `answers ${JSON.stringify(statuses)}`,
        `running ${running}/${names.length}`,
        `restarts ${restarts.map((r) => `${r.name} ${((r.to - r.from) / 1000).toFixed(1)} s${r.exit?.code === 0 ? '' : ` (exit ${r.exit?.code ?? r.exit?.signal})`}`).join(' / ')}`,
      ],
    };
    const { lost, duplicated } = report('fault 8 every service restarted in turn', startedAt, outcome);

    const why = explain(outcome, platform.logDir);
    const failed = failures
      .slice(0, 10)
      .map((f) => `  +${((f.at - startedAt) / 1000).toFixed(1)} s, restarting ${during(f)}: ${f.request} ${f.status} ${JSON.stringify(f.body).slice(0, 160)}`)
      .join('\n');
    expect(failures.length, `failed requests (first few):\n${failed}\n${why}`).toBe(0);
    expect(lost, why).toBe(0);
    expect(duplicated, why).toBe(0);
    expect(statuses).toEqual({ 200: traffic.sent() - (names.length - 1), 202: names.length - 1 });
    expect(running).toBe(names.length);
    // SIGTERM is a clean stop: each finished its work and exited 0.
    expect(restarts.filter((r) => r.exit?.code !== 0).map((r) => `${r.name}: ${JSON.stringify(r.exit)}`)).toEqual([]);
  });
});

/** `user-service 3, deployment-service 1`: how often each value occurs. */
function tally(values: string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, n]) => `${value} ${n}`).join(', ');
}
