/**
 * Part 4: fan-out latency. POST /deployments at a steady rate (open loop: a request is due every 1/rate s whether
 * or not the earlier ones were answered); for each deployment:
 *   t0        = the 202 answer arrives at the bench;
 *   email     = the test SMTP server (in the bench process) accepts the "is being provisioned" email (end of DATA),
 *               Message-ID `<deploymentId_1@mediamagic>`; it does not parse the emails meanwhile;
 *   analytics = analytics-service acks the deployment.created message: a plain nats.js subscription on the
 *               acks of analytics-service's consumers on the DEPLOYMENT stream sees it; its stream sequence is
 *               mapped to the deployment after the run (stored message, header ce-id = `<deploymentId>:1`).
 * Fan-out latency = max(email, analytics) - t0; both legs are reported too.
 */
import { Agent, request } from 'node:http';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type Msg } from '@nats-io/transport-node';
import type { Platform, SmtpServer } from '@mediamagic/testing';
import { FANOUT_RATE, FANOUT_SECONDS, FANOUT_WAIT_SECONDS, FANOUT_WARMUP_SECONDS } from './config';
import { benchProcesses, cpuDuring } from './cost';
import { fmt, sleep, waitUntil, windowed } from './harness';
import { log, type PartOutcome } from './part';
import { limitResult, percentile, ratioResult, type Result } from './report';

/** Wall-clock milliseconds with sub-millisecond resolution: every timestamp is taken in this process. */
const clock = (): number => performance.timeOrigin + performance.now();

const P99_LIMIT_MS = 50;

/** One run: deployments per second, seconds of load, seconds of warm-up at the same rate before. */
export interface FanoutRun {
  rate: number;
  seconds: number;
  warmupSeconds: number;
}

/** The figures of one run, for the parts that compare runs (8 and 9). */
export interface FanoutFigures {
  rate: number;
  p50: number;
  p99: number;
  emailP99: number;
  analyticsP99: number;
  /** Deployments handled by both email and analytics per second, from the first POST until the last of them. */
  handledPerSecond: number;
  incomplete: number;
  cpu: string;
}

const DEFAULT_RUN: FanoutRun = { rate: FANOUT_RATE, seconds: FANOUT_SECONDS, warmupSeconds: FANOUT_WARMUP_SECONDS };

export async function fanoutLatencyPart(platform: Platform, token: string, run: FanoutRun = DEFAULT_RUN): Promise<PartOutcome & { figures: FanoutFigures }> {
  const { at: emailAt, stop: stopStamping } = stampArrivals(platform.smtp);
  const acks = await watchAnalyticsAcks(platform.nats.url);
  const sent = new Map<string, number>();
  const postLatencies: number[] = [];
  let failed = 0;

  const post = poster(platform.baseUrl, token);
  const create = async (i: number, into = sent) => {
    const began = clock();
    try {
      const answer = await post('/deployments', JSON.stringify({ name: `fanout-${i}`, model: 'llama-3' }));
      const at = clock();
      const id = answer.status === 202 ? (JSON.parse(answer.body) as { id?: string }).id : undefined;
      if (!id) throw new Error(`status ${answer.status}`);
      into.set(id, at);
      if (into === sent) postLatencies.push(at - began);
    } catch {
      failed++;
    }
  };

  /** Open loop: the i-th request is sent at its due time, whether or not the earlier ones were answered. */
  const offer = async (count: number, into: Map<string, number>): Promise<number> => {
    const began = clock();
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < count; i++) {
      const wait = began + (i * 1000) / run.rate - clock();
      if (wait > 1) await sleep(wait);
      const request = create(i, into).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await Promise.all(inFlight);
    return rate(count, clock() - began);
  };
  const emailed = (ids: Iterable<string>) => [...ids].filter((id) => emailAt.has(`<${id}_1@mediamagic>`)).length;

  // Warm-up, not measured: the services were just restarted (part 5), so their JIT, pools and SMTP
  // connections are cold. The steady state is what the target is about.
  const warm = new Map<string, number>();
  log(`4 warm-up: ${run.rate * run.warmupSeconds} deployments at ${run.rate}/s for ${run.warmupSeconds} s`);
  await offer(run.rate * run.warmupSeconds, warm);
  const warmed = await waitUntil(
    () => emailed(warm.keys()) >= warm.size && acks.count() >= warm.size,
    () => emailed(warm.keys()) + acks.count(),
    {
      stallMs: 15_000,
      timeoutMs: FANOUT_WAIT_SECONDS * 1000,
      pollMs: 100,
    },
  );
  if (!warmed) log('4 warm-up not fully handled; measuring anyway');
  const warmAcks = acks.count();

  const total = run.rate * run.seconds;
  log(`4 ${total} deployments at ${run.rate}/s for ${run.seconds} s`);
  const handled = () => emailed(sent.keys()) + acks.count() - warmAcks;
  // Who uses the two cores from the first POST until everything was handled: what limits the figure.
  const began = clock();
  const { result: load, usage } = await cpuDuring(benchProcesses(platform), async () => {
    const offered = await offer(total, sent);
    log(`4 all answered (${failed} failed); waiting for email and analytics`);
    const complete = await waitUntil(() => handled() >= 2 * sent.size, handled, { stallMs: 15_000, timeoutMs: FANOUT_WAIT_SECONDS * 1000, pollMs: 100 });
    return { offered, complete };
  });
  const { offered, complete } = load;
  const finishedAt = clock();
  log(`4 CPU from the first POST until all was handled: ${usage}`);
  const analyticsAt = await acks.byDeployment();
  acks.stop();
  post.close();
  stopStamping();

  // A deployment not handled when the bench stopped waiting counts with the time it had waited: a lower bound.
  const email: number[] = [];
  const analytics: number[] = [];
  const fanout: number[] = [];
  let missing = 0;
  for (const [id, t0] of sent) {
    const mail = emailAt.get(`<${id}_1@mediamagic>`) ?? Number.NaN;
    const ack = analyticsAt.get(id) ?? Number.NaN;
    email.push((Number.isNaN(mail) ? finishedAt : mail) - t0);
    analytics.push((Number.isNaN(ack) ? finishedAt : ack) - t0);
    fanout.push(Math.max(Number.isNaN(mail) ? finishedAt : mail, Number.isNaN(ack) ? finishedAt : ack) - t0);
    if (Number.isNaN(mail) || Number.isNaN(ack)) missing++;
  }
  // Not Math.max(...all): a long run has more arrival times than a call may take arguments.
  const lastHandled = [...emailAt.values(), ...analyticsAt.values()].reduce((latest, at) => Math.max(latest, at), began);
  const drainSeconds = (lastHandled - began) / 1000;
  log(
    `4 fan-out p50 ${fmt(percentile(fanout, 50))} ms, p99 ${fmt(percentile(fanout, 99))} ms; email p99 ${fmt(percentile(email, 99))} ms, ` +
      `analytics p99 ${fmt(percentile(analytics, 99))} ms; ${missing} incomplete${complete ? '' : ' (gave up waiting)'}, done after ${Math.round((finishedAt - began) / 1000)} s`,
  );

  const partial = missing
    ? `${missing} of ${sent.size} deployments were not handled by both when the bench stopped waiting, ${Math.round((finishedAt - began) / 1000)} s after the first POST; they count with that wait (a lower bound)`
    : undefined;
  const results: Result[] = [
    ratioResult(
      4,
      'deployments created (POST 202/s)',
      '/s',
      offered,
      { label: 'target rate', value: run.rate },
      undefined,
      failed ? `${failed} POSTs failed` : undefined,
    ),
    limitResult(4, 'POST /deployments p99 latency under that load', 'ms', percentile(postLatencies, 99)),
    limitResult(4, 'fan-out latency p50 (202 -> email and analytics)', 'ms', percentile(fanout, 50)),
    limitResult(4, `fan-out latency p99 at ${run.rate} deployments/s`, 'ms', percentile(fanout, 99), P99_LIMIT_MS, partial),
    limitResult(4, 'email leg p50 (202 -> SMTP server has the email)', 'ms', percentile(email, 50)),
    limitResult(4, 'email leg p99', 'ms', percentile(email, 99)),
    limitResult(4, 'analytics leg p50 (202 -> analytics acks)', 'ms', percentile(analytics, 50)),
    limitResult(4, 'analytics leg p99', 'ms', percentile(analytics, 99)),
    limitResult(4, 'time until the last email/ack, from the first POST', 's', drainSeconds, undefined, `the load itself lasted ${run.seconds} s`),
  ];
  const method =
    `After a warm-up of ${run.warmupSeconds} s at the same rate (the services were just restarted for part 5) and until it was all handled, ` +
    `${total} POST /deployments (one verified user, Bearer) at ${run.rate}/s for ${run.seconds} s, open loop, node:http with ` +
    `keep-alive from the bench process. t0 = the 202 answer arrives; email = the test SMTP server in the bench process accepts ` +
    `the "is being provisioned" email (end of DATA; Message-ID <deploymentId_1@mediamagic>; the server does not parse emails into objects ` +
    `meanwhile, as a real mail server would not); analytics = a plain nats.js subscription on the acks of ` +
    `analytics-service's consumers of the DEPLOYMENT stream sees its ack of the deployment.created message (stream sequence mapped to the deployment via ` +
    `the stored message's ce-id after the run). Fan-out = max(email, analytics) - t0, nearest-rank percentiles over every deployment; ` +
    `after the last answer the bench waits at most ${FANOUT_WAIT_SECONDS} s (or until 15 s pass without progress), and a deployment not handled by then counts ` +
    `with the time waited, so a partial run's percentiles are lower bounds. PROVISIONING_DELAY_MS is one hour, so no rollout completes (no "running" email) during the bench. All clocks are ` +
    `the bench process's. The platform runs on its own PostgreSQL (test cluster, fsync off), one nats-server, all on this machine. ` +
    `CPU use (% of one core, 200% = both cores) from the first POST until all was handled: ${usage}.`;
  const figures: FanoutFigures = {
    rate: run.rate,
    p50: percentile(fanout, 50),
    p99: percentile(fanout, 99),
    emailP99: percentile(email, 99),
    analyticsP99: percentile(analytics, 99),
    handledPerSecond: drainSeconds > 0 ? (sent.size - missing) / drainSeconds : 0,
    incomplete: missing,
    cpu: usage,
  };
  return { results, method, figures };
}

/**
 * POSTs JSON over kept-alive connections with node:http: the bench shares the two cores with the platform,
 * and fetch cost three times as much CPU per request.
 */
function poster(baseUrl: string, token: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const post = (path: string, body: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${baseUrl}${path}`, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return Object.assign(post, { close: () => agent.destroy() });
}

function rate(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

/**
 * When each email arrived, by Message-ID, read from the raw header block as the server accepts it. Parsing every
 * email (postal-mime, ~0.7 ms each here) took a seventh of a core that the services measured need.
 */
function stampArrivals(smtp: SmtpServer): { at: Map<string, number>; stop(): void } {
  const at = new Map<string, number>();
  smtp.parse = false;
  smtp.onAccepted = (raw) => {
    const now = clock();
    const end = raw.indexOf('\r\n\r\n');
    const messageId = /^message-id:\s*(<[^>\r\n]+>)/im.exec(raw.toString('latin1', 0, end < 0 ? raw.length : end))?.[1];
    if (messageId && !at.has(messageId)) at.set(messageId, now);
  };
  const stop = () => {
    smtp.onAccepted = undefined;
    smtp.parse = true;
  };
  return { at, stop };
}

/** Acks of analytics-service's consumers on the DEPLOYMENT stream, by stream sequence; mapped to deployments afterwards. */
async function watchAnalyticsAcks(url: string) {
  const nc = await connect({ servers: url, name: 'bench-ack-watch' });
  const bySeq = new Map<number, number>();
  const decoder = new TextDecoder();
  // v1 subjects: $JS.ACK.<stream>.<consumer>.<delivered>.<streamSeq>.<consumerSeq>.<timestamp>.<pending>;
  // v2 (nats-server 2.10+) put <domain>.<account hash> before the stream and a token after: read both.
  const callback = (error: Error | null, message: Msg) => {
    if (error) return;
    const at = clock();
    const tokens = message.subject.split('.');
    const offset = tokens.length >= 11 ? 2 : 0;
    const [stream, consumer, , streamSeq] = tokens.slice(2 + offset, 6 + offset);
    const body = decoder.decode(message.data);
    if (stream !== 'DEPLOYMENT' || !consumer?.startsWith('analytics-service') || (body !== '' && !body.startsWith('+ACK'))) return;
    const seq = Number(streamSeq);
    if (!bySeq.has(seq)) bySeq.set(seq, at);
  };
  // Only the acks of analytics-service's consumers on the DEPLOYMENT stream (v1 and v2 subjects): the
  // bench process shares the cores with the platform.
  const jsm = await jetstreamManager(nc);
  const consumers = (await jsm.consumers.list('DEPLOYMENT').next()).map((info) => info.name).filter((name) => name.startsWith('analytics-service'));
  if (consumers.length === 0) throw new Error('analytics-service has no consumer on the DEPLOYMENT stream');
  for (const name of consumers) {
    for (const subject of [`$JS.ACK.DEPLOYMENT.${name}.>`, `$JS.ACK.*.*.DEPLOYMENT.${name}.>`]) nc.subscribe(subject, { callback });
  }
  await nc.flush();
  return {
    count: () => bySeq.size,
    stop: () => void nc.drain(),
    /** Reads each acked message's ce-id (`<deploymentId>:<version>`) and keeps the version-1 (created) ones. */
    byDeployment: async (): Promise<Map<string, number>> => {
      const result = new Map<string, number>();
      const acked = [...bySeq];
      await windowed(acked.length, 32, async (i) => {
        const [seq, at] = acked[i];
        const stored = await jsm.streams.getMessage('DEPLOYMENT', { seq }).catch(() => null);
        const ceId = stored?.header.get('ce-id') ?? '';
        const [id, version] = ceId.split(':');
        if (version === '1') result.set(id, at);
      });
      return result;
    },
  };
}
