/**
 * Part 3: the gateway under autocannon beside a bare Fastify route, same machine, same run.
 * GET /deployments/:id (one existing deployment of the caller) and POST /deployments (Bearer, a new deployment
 * each time), first at a fixed overall rate, then GET unthrottled for the throughput the target compares (alternating
 * rounds, median per side).
 * The bare Fastify process answers the same paths with a deployment-shaped JSON and nothing else.
 */
import { HTTP_CONNECTIONS, HTTP_RATE, HTTP_SECONDS, ROUNDS } from './config';
import { fmt, median } from './harness';
import { load, startBareFastify, type LoadFigures, type LoadOptions } from './http.scenario';
import { cpuDuring } from './cost';
import { log, type PartOutcome } from './part';
import { limitResult, ratioResult, type Result } from './report';

export interface Caller {
  baseUrl: string;
  token: string;
  /** The processes whose CPU use is reported during the unthrottled runs; given the bare server's pid. */
  processes(barePid: number): Record<string, number[]>;
}

type Measured = { result: LoadFigures; usage: string };

/** The run whose throughput is the median (of an even count, one of the two middle ones). */
function medianRun(runs: Measured[]): Measured {
  const middle = median(runs.map((m) => m.result.rps));
  return runs.reduce((best, m) => (Math.abs(m.result.rps - middle) < Math.abs(best.result.rps - middle) ? m : best));
}

/** Latencies are shown beside the baseline's, without a ratio: autocannon's 0-1 ms make ratios meaningless. */
function latency(figure: string, gateway: number, bare: number): Result {
  return { ...limitResult(3, figure, 'ms', gateway), comparison: `bare Fastify ${bare} ms` };
}

export async function gatewayPart(caller: Caller): Promise<PartOutcome> {
  const auth = { authorization: `Bearer ${caller.token}`, 'content-type': 'application/json' };
  const created = await fetch(`${caller.baseUrl}/deployments`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'probe', model: 'llama-3' }) });
  if (created.status !== 202) throw new Error(`POST /deployments answered ${created.status}: ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };

  const bare = await startBareFastify();
  const run = async (label: string, baseUrl: string, path: string, options: Omit<LoadOptions, 'seconds' | 'connections'>): Promise<LoadFigures> => {
    const figures = await load(`${baseUrl}${path}`, { seconds: HTTP_SECONDS, connections: HTTP_CONNECTIONS, ...options });
    log(`3 ${label}: ${fmt(figures.rps)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, ${figures.failed} failed of ${figures.total}`);
    return figures;
  };
  const get = { method: 'GET' as const, headers: auth };
  const post = { method: 'POST' as const, headers: auth, body: JSON.stringify({ name: 'bench', model: 'llama-3' }) };
  try {
    // Warm-up: JIT, connection pools, the database's caches.
    for (const baseUrl of [caller.baseUrl, bare.baseUrl]) await load(`${baseUrl}/deployments/${id}`, { ...get, seconds: 2, connections: HTTP_CONNECTIONS });

    const gatewayGetAtRate = await run('gateway GET at rate', caller.baseUrl, `/deployments/${id}`, { ...get, rate: HTTP_RATE });
    const bareGetAtRate = await run('bare GET at rate', bare.baseUrl, `/deployments/${id}`, { ...get, rate: HTTP_RATE });
    // Unthrottled, ROUNDS times with the order alternating, median per side: this VM's speed drifts by a
    // third from one minute to the next. Who uses the two cores meanwhile is what limits the figure.
    const processes = caller.processes(bare.pid);
    const unthrottled = { bare: [] as Measured[], gateway: [] as Measured[] };
    for (let round = 0; round < ROUNDS; round++) {
      const sides = round % 2 === 0 ? (['bare', 'gateway'] as const) : (['gateway', 'bare'] as const);
      for (const side of sides) {
        const baseUrl = side === 'bare' ? bare.baseUrl : caller.baseUrl;
        const measured = await cpuDuring(processes, () => run(`${side} GET unthrottled, round ${round + 1}/${ROUNDS}`, baseUrl, `/deployments/${id}`, get));
        unthrottled[side].push(measured);
      }
    }
    const bareMax = medianRun(unthrottled.bare);
    const gatewayMax = medianRun(unthrottled.gateway);
    log(`3 CPU during bare GET unthrottled (median round): ${bareMax.usage}`);
    log(`3 CPU during gateway GET unthrottled (median round): ${gatewayMax.usage}`);
    const barePost = await run('bare POST at rate', bare.baseUrl, '/deployments', { ...post, rate: HTTP_RATE });
    // Last: every created deployment sets off emails and analytics that load the machine for a while after.
    const gatewayPost = await run('gateway POST at rate', caller.baseUrl, '/deployments', { ...post, rate: HTTP_RATE });

    const failures = (f: LoadFigures) => (f.failed ? `${f.failed} of ${f.total} requests failed or were not 2xx` : undefined);
    const rows = (what: string, gateway: LoadFigures, baseline: LoadFigures): Result[] => [
      ratioResult(
        3,
        `${what} at ${HTTP_RATE} req/s: served`,
        'req/s',
        gateway.rps,
        { label: 'bare Fastify', value: baseline.rps },
        undefined,
        failures(gateway),
      ),
      latency(`${what} at ${HTTP_RATE} req/s: p50 latency`, gateway.p50, baseline.p50),
      latency(`${what} at ${HTTP_RATE} req/s: p99 latency`, gateway.p99, baseline.p99),
    ];
    const results: Result[] = [
      ratioResult(
        3,
        'GET /deployments/:id unthrottled (req/s)',
        'req/s',
        gatewayMax.result.rps,
        { label: 'bare Fastify', value: bareMax.result.rps },
        0.5,
        failures(gatewayMax.result),
      ),
      latency('GET /deployments/:id unthrottled: p99 latency', gatewayMax.result.p99, bareMax.result.p99),
      ...rows('GET /deployments/:id', gatewayGetAtRate, bareGetAtRate),
      ...rows('POST /deployments', gatewayPost, barePost),
    ];
    const perRound = (side: Measured[]) => side.map((m) => fmt(m.result.rps)).join(', ');
    const method =
      `autocannon in the bench process, ${HTTP_CONNECTIONS} connections, ${HTTP_SECONDS} s per run after a 2 s warm-up of each server; ` +
      `"at ${HTTP_RATE} req/s" = autocannon overallRate (served = 2xx answers per second), "unthrottled" = as fast as the connections go, ` +
      `${ROUNDS} rounds, bare and gateway alternating in order, median shown (req/s per round: bare ${perRound(unthrottled.bare)}; ` +
      `gateway ${perRound(unthrottled.gateway)}). ` +
      `Gateway: the built gateway on PostgreSQL with the whole platform running; GET /deployments/:id with a valid Bearer token for one of ` +
      `the caller's deployments (the token verified once and then remembered; the deployment asked of deployment-service over NATS once, ` +
      `then answered from the gateway's view, which deployment events keep current); POST /deployments creates a deployment ` +
      `per request (JWT check, users.get and deployments.create over NATS, an event-store append and an outbox publish). Bare Fastify: ` +
      `Fastify in its own process, the same paths answering a fixed deployment-shaped JSON, no auth/NATS/database. ` +
      `Latency percentiles are autocannon's (ms resolution). POST is not run unthrottled: every gateway POST leaves ` +
      `emails and analytics work behind that would load the next parts. CPU use (% of one core, 200% = both cores) during the unthrottled ` +
      `runs: bare: ${bareMax.usage}; gateway: ${gatewayMax.usage}.`;
    return { results, method };
  } finally {
    await bare.stop();
  }
}
