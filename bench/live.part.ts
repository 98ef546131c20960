/**
 * Part 10: the live stream (GET /deployments/live). 1,000 open streams on one gateway while deployments are created
 * at a steady rate; every deployment goes through its events (created, provisioning-started, progress, succeeded),
 * which reach the streams of its owner. Figures: the event-to-client latency (the event's own time, written by
 * deployment-service, to the moment a client parsed it) and the gateway's peak RSS. Expects the apps built
 * (part 3's build does it; BENCH_PARTS=10 alone: `npx nx run-many -t build --projects=tag:type:app` first).
 */
import { connect } from '@nats-io/transport-node';
import { openSse, Platform, startPostgresServer, waitFor, type ServerSentEvent, type SseStream } from '@mediamagic/testing';
import { rssMb } from './cost';
import { sleep } from './harness';
import { log, type PartOutcome } from './part';
import { limitResult, percentile } from './report';

const quick = process.env['BENCH_QUICK'] === '1';
const num = (name: string, full: number, short: number): number => Number(process.env[name] ?? (quick ? short : full));
const STREAMS = num('BENCH_LIVE_STREAMS', 1_000, 1_000);
const USERS = num('BENCH_LIVE_USERS', 50, 20);
/** Stored deployment events per second: a deployment makes three (created, provisioning-started, succeeded). */
const EVENT_RATE = num('BENCH_LIVE_RATE', 200, 200);
const SECONDS = num('BENCH_LIVE_SECONDS', 20, 5);
const LATENCY_LIMIT_MS = 100;
const RSS_LIMIT_MB = 250;
const PASSWORD = 'bench password 1';
const STORED_PER_DEPLOYMENT = 3;

export async function livePart(): Promise<PartOutcome> {
  const postgres = await startPostgresServer();
  let platform: Platform | undefined;
  try {
    platform = await Platform.start({ suite: 'bench-live', provisioningDelayMs: 1_000, postgres });
    const tokens: string[] = [];
    // One at a time: password hashing is slow on purpose, and the machine is shared.
    for (let i = 0; i < USERS; i++) tokens.push(await signUp(platform, i));
    log(`10 ${USERS} users signed up; opening ${STREAMS} streams`);

    const latencies: number[] = [];
    const fromBroker: number[] = [];
    const ids = new Set<string>();
    // When each event passed the broker, heard by the bench itself: separates the live path from the outbox's.
    const heard = new Map<string, number>();
    const nats = await connect({ servers: platform.nats.url });
    nats.subscribe('deployment.>', {
      callback: (_error, message) => void heard.set(`${message.subject} ${(message.json() as { deploymentId: string }).deploymentId}`, Date.now()),
    });
    const streams: SseStream[] = [];
    for (let i = 0; i < STREAMS; i += 100) {
      streams.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(100, STREAMS - i) }, (_, j) =>
            openLive(platform!, tokens[(i + j) % USERS]!, (event, now) => {
              if (event.id === undefined || !event.data) return;
              const data = JSON.parse(event.data) as { time: string; deploymentId: string };
              ids.add(event.id);
              latencies.push(now - Date.parse(data.time));
              const passed = heard.get(`${event.event} ${data.deploymentId}`);
              if (passed !== undefined) fromBroker.push(now - passed);
            }),
          ),
        )),
      );
    }
    const gatewayPid = platform.pid('gateway')!;
    const idleRss = rssMb(gatewayPid);
    log(`10 ${STREAMS} streams open, gateway RSS ${Math.round(idleRss)} MB; creating deployments for ${SECONDS} s`);

    let peakRss = idleRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(gatewayPid))), 200);
    const perSecond = EVENT_RATE / STORED_PER_DEPLOYMENT;
    const began = performance.now();
    const posts: Promise<unknown>[] = [];
    let created = 0;
    while (performance.now() - began < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - began) / 1000) * perSecond);
      for (; created < due; created++) posts.push(createDeployment(platform, tokens[created % USERS]!, created));
      await sleep(5);
    }
    await Promise.all(posts);
    const expected = created * STORED_PER_DEPLOYMENT;
    await waitFor(() => ids.size >= expected, { timeoutMs: 60_000, intervalMs: 200, message: `${expected} stored events on the streams` }).catch(
      () => undefined,
    );
    const loadMs = performance.now() - began;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, rssMb(gatewayPid));
    const open = streams.filter((stream) => stream.events.length > 0).length;
    streams.forEach((stream) => stream.close());

    await nats.close();
    const brokerP99 = percentile(fromBroker, 99);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const rate = (ids.size * 1000) / loadMs;
    log(
      `10 ${ids.size} stored events (${rate.toFixed(0)}/s), ${latencies.length} deliveries, p50 ${p50} ms, p99 ${p99} ms (from the broker: p50 ${percentile(fromBroker, 50)} ms, p99 ${brokerP99} ms), peak RSS ${Math.round(peakRss)} MB`,
    );
    const note = ids.size < expected ? `${ids.size} of ${expected} stored events reached the streams within 60 s after the load` : undefined;
    return {
      results: [
        {
          ...limitResult(
            10,
            `live: event-to-client p99, ${STREAMS.toLocaleString('en-US')} streams, ${EVENT_RATE} events/s`,
            'ms',
            p99,
            LATENCY_LIMIT_MS,
            note,
          ),
          comparison: `p50 ${p50} ms, ${latencies.length.toLocaleString('en-US')} deliveries, ${open} streams served`,
        },
        {
          ...limitResult(10, `live: broker-to-client p99 (the gateway's part of it)`, 'ms', brokerP99, LATENCY_LIMIT_MS),
          comparison: `p50 ${percentile(fromBroker, 50)} ms, ${fromBroker.length.toLocaleString('en-US')} deliveries`,
        },
        {
          ...limitResult(10, `live: gateway peak RSS, ${STREAMS.toLocaleString('en-US')} streams`, 'MB', peakRss, RSS_LIMIT_MB),
          comparison: `${Math.round(idleRss)} MB with the streams open, before the load`,
        },
      ],
      method:
        `A fresh platform (PostgreSQL, 1 s provisioning). ${USERS} verified users; ${STREAMS} GET /deployments/live streams, ${STREAMS / USERS} per user, ` +
        `each its own HTTP connection from the bench process. For ${SECONDS} s the bench creates ${perSecond.toFixed(0)} deployments a second, ` +
        `round-robin over the users: ${EVENT_RATE} stored deployment events a second (created, provisioning-started, succeeded) plus the progress reports, ` +
        `each reaching all ${STREAMS / USERS} streams of its owner. A delivery's latency is the time the client parsed the frame minus the event's own ` +
        `time (\`time\` in the data: written by deployment-service, so it includes the outbox relay and JetStream), same clock; p99 by nearest rank over ` +
        `every delivery. Broker-to-client is the same minus the moment the bench's own core NATS subscription to \`deployment.>\` ` +
        `heard the event: what the gateway and the client add, without deployment-service's outbox. The gateway's RSS (VmRSS) is sampled every 200 ms from before the load until the last event arrived.`,
    };
  } finally {
    await platform?.stop();
    await postgres.dispose();
  }
}

async function openLive(platform: Platform, token: string, onEvent: (event: ServerSentEvent, now: number) => void): Promise<SseStream> {
  const stream = await openSse(`${platform.baseUrl}/deployments/live`, { authorization: `Bearer ${token}` }, (event) => onEvent(event, Date.now()));
  if (stream.status !== 200) throw new Error(`GET /deployments/live answered ${stream.status}`);
  return stream;
}

async function createDeployment(platform: Platform, token: string, n: number): Promise<void> {
  const answer = await fetch(`${platform.baseUrl}/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: `live-${n}`, model: 'llama-3' }),
  });
  if (answer.status !== 202) log(`10 POST /deployments answered ${answer.status}: ${await answer.text()}`);
}

async function signUp(platform: Platform, n: number): Promise<string> {
  const email = `live-${n}@example.com`;
  // A busy machine may answer 503/504: the same request again, with the same Idempotency-Key, is harmless.
  const json = async (path: string, body: unknown) => {
    for (let attempt = 1; ; attempt++) {
      const answer = await fetch(`${platform.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${path}-${email}` },
        body: JSON.stringify(body),
      });
      if (answer.status < 500 || attempt === 20) return answer;
      await sleep(1_000);
    }
  };
  const registered = await json('/users', { email, name: 'Live', password: PASSWORD });
  if (registered.status !== 201) throw new Error(`POST /users answered ${registered.status}: ${await registered.text()}`);
  const mail = await waitFor(() => platform.smtp.to(email).find((m) => /token=/.test(m.text ?? '')), { timeoutMs: 30_000, message: 'the verification email' });
  const verified = await json('/users/verify', { token: /token=([\w-]+)/.exec(mail.text ?? '')?.[1] });
  if (verified.status !== 200) throw new Error(`POST /users/verify answered ${verified.status}: ${await verified.text()}`);
  const login = await json('/auth/login', { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`POST /auth/login answered ${login.status}: ${await login.text()}`);
  return ((await login.json()) as { accessToken: string }).accessToken;
}
