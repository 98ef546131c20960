/**
 * Parts 8 and 9 on the running platform (as part 4 runs it: its own PostgreSQL, nats-server and SMTP server).
 *   8. The capacity curve: fan-out p50 and p99 (202 -> email and analytics) at each rate of CURVE_RATES, one
 *      platform, the rates one after the other, each with a warm-up at that rate and drained before the next.
 *   9. The same curve on a second platform, running beside the first, whose services export their traces
 *      (OTEL_EXPORTER_OTLP_ENDPOINT) to an OTLP/HTTP receiver in the bench process, which counts the spans; at each
 *      rate one platform gets the load, then the other. Throughput: deployments handled by both consumers per
 *      second at the highest rate, which the two cores cannot keep up with.
 * Parts 7-9 are also written to bench/results/observability.md, above its hand-written reading.
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CURVE_RATES, CURVE_SECONDS, CURVE_WARMUP_SECONDS } from './config';
import { fanoutLatencyPart, type FanoutFigures } from './fanout-latency.part';
import { fmt, writeText } from './harness';
import { startOtlpReceiver } from './otlp-receiver';
import type { Platform } from '@mediamagic/testing';
import { log, order, type PartOutcome } from './part';
import { buildApps, onPlatform, signUp } from './platform.part';
import { limitResult, markdownTable, notesOf, ratioResult, type Result } from './report';

const RESULTS = join(import.meta.dirname, 'results', 'observability.md');
/** What follows this line in observability.md is hand-written; the bench keeps it. */
const READING_MARKER = '<!-- hand-written below; `npm run bench` keeps it -->';
const P99_LIMIT_MS = 50;
const TRACING_MAX_COST = 0.15;

type Titled = { title: string; outcome: PartOutcome };
/** One run per rate, with the machine's load average (1 min) at its end: other work on the machine shows there. */
type Curve = Array<FanoutFigures & { load: number }>;

export async function observabilityPart(parts: Set<number>): Promise<Titled[]> {
  buildApps();
  const off: Curve = [];
  const on: Curve = [];
  const receiver = parts.has(9) ? await startOtlpReceiver() : undefined;
  try {
    await onPlatform(async (plain) => {
      const plainToken = await signUp(plain);
      if (!receiver) {
        for (const rate of CURVE_RATES) off.push(await measure('tracing off', plain, plainToken, rate));
        return;
      }
      // Both platforms run side by side, and the load goes to one at a time: at each rate one side, then the other
      // (who goes first alternates), so that the machine's drift falls on both alike.
      // The SDK's own defaults otherwise: OTLP protobuf, a batch span processor, every span sampled.
      const tracingEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
      await onPlatform(
        async (traced) => {
          const tracedToken = await signUp(traced);
          for (const [i, rate] of CURVE_RATES.entries()) {
            for (const side of order(i % 2 === 0, 'off', 'on')) {
              if (side === 'off') off.push(await measure('tracing off', plain, plainToken, rate));
              else on.push(await measure('tracing on', traced, tracedToken, rate));
            }
          }
        },
        tracingEnv,
        'bench-traced',
      );
    });
  } finally {
    await receiver?.close();
  }
  if (!receiver) return [{ title: '8. Fan-out capacity curve', outcome: curveOutcome(off) }];
  const spans = { total: receiver.spans(), byService: receiver.byService() };
  log(`9 spans received: ${fmt(spans.total)} ${JSON.stringify(spans.byService)}`);
  const tracing = { title: '9. Tracing off vs on', outcome: tracingOutcome(off, on, spans) };
  return parts.has(8) ? [{ title: '8. Fan-out capacity curve', outcome: curveOutcome(off, on) }, tracing] : [tracing];
}

/** One rate of the curve, on one platform. */
async function measure(side: string, platform: Platform, token: string, rate: number): Promise<Curve[number]> {
  log(`8/9 ${side}: ${rate} deployments/s`);
  const { figures: run } = await fanoutLatencyPart(platform, token, { rate, seconds: CURVE_SECONDS, warmupSeconds: CURVE_WARMUP_SECONDS });
  log(`8/9 ${side} at ${rate}/s: p50 ${fmt(run.p50)} ms, p99 ${fmt(run.p99)} ms, ${fmt(run.handledPerSecond)} handled/s; CPU ${run.cpu}`);
  return { ...run, load: loadavg()[0] };
}

function curveOutcome(off: Curve, on?: Curve): PartOutcome {
  const results: Result[] = off.flatMap((run) => [
    limitResult(8, `fan-out p50 at ${run.rate}/s`, 'ms', run.p50),
    limitResult(
      8,
      `fan-out p99 at ${run.rate}/s`,
      'ms',
      run.p99,
      run.rate === 200 ? P99_LIMIT_MS : undefined,
      run.incomplete ? `${run.incomplete} not handled when the bench stopped waiting (a lower bound)` : undefined,
    ),
    ratioResult(8, `handled at ${run.rate}/s offered (deployments/s)`, '/s', run.handledPerSecond, { label: 'offered', value: run.rate }),
  ]);
  const header = on
    ? '| rate | p50 off | p99 off | handled/s off | load off | p50 on | p99 on | handled/s on | load on |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
    : '| rate | p50 | p99 | handled/s | load |\n|---:|---:|---:|---:|---:|';
  const rows = off.map((run, i) => {
    const cells = [`${run.rate}/s`, `${fmt(run.p50)} ms`, `${fmt(run.p99)} ms`, fmt(run.handledPerSecond), run.load.toFixed(1)];
    if (on?.[i]) cells.push(`${fmt(on[i].p50)} ms`, `${fmt(on[i].p99)} ms`, fmt(on[i].handledPerSecond), on[i].load.toFixed(1));
    return `| ${cells.join(' | ')} |`;
  });
  const method =
    `The curve${on ? ' (tracing off; on: part 9)' : ''}:\n\n${header}\n${rows.join('\n')}\n\n` +
    `At each rate, as part 4 measures: ${CURVE_WARMUP_SECONDS} s of warm-up at that rate, then ${CURVE_SECONDS} s of POST /deployments at the rate ` +
    `(open loop), until email and analytics handled every one (or the bench stopped waiting); the rates one after the other on one platform. ` +
    `handled/s = deployments handled by both consumers / (first POST -> last email or ack): below the rate the platform keeps up with, it is the rate. ` +
    `load = the machine's 1-minute load average at the end of the run (2 cores: above 2, other work waited for them too). ` +
    `CPU per rate (% of one core): ${off.map((run) => `${run.rate}/s: ${run.cpu}`).join('; ')}.`;
  return { results, method };
}

function tracingOutcome(off: Curve, on: Curve, spans: { total: number; byService: Record<string, number> }): PartOutcome {
  const top = (curve: Curve) => curve[curve.length - 1];
  const at200 = (curve: Curve) => curve.find((run) => run.rate === 200) ?? top(curve);
  const results: Result[] = [
    ratioResult(
      9,
      `throughput with tracing on, ${top(on).rate}/s offered (deployments handled/s)`,
      '/s',
      top(on).handledPerSecond,
      { label: 'tracing off', value: top(off).handledPerSecond },
      1 - TRACING_MAX_COST,
    ),
    ratioResult(9, `fan-out p99 at ${at200(on).rate}/s with tracing on`, 'ms', at200(on).p99, { label: 'tracing off', value: at200(off).p99 }),
    ratioResult(9, `fan-out p50 at ${at200(on).rate}/s with tracing on`, 'ms', at200(on).p50, { label: 'tracing off', value: at200(off).p50 }),
    limitResult(9, 'spans the OTLP receiver got', '', spans.total, undefined, `by service.name: ${JSON.stringify(spans.byService)}`),
  ];
  const method =
    `Two platforms side by side, each with its own PostgreSQL, nats-server and SMTP server, the load on one at a time: at each rate of ` +
    `part 8's curve, one side then the other (who goes first alternates by rate). Tracing off: no OTEL_* variable; tracing on: every service with OTEL_EXPORTER_OTLP_ENDPOINT=<a receiver in the bench process> and ` +
    `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, the SDK's defaults otherwise (batch processor, all spans sampled). The receiver answers ` +
    `POST /v1/traces with 200 and counts the spans per service.name; it runs in the bench process, on the same two cores. Throughput is ` +
    `part 8's handled/s at the highest rate; target: on costs at most ${TRACING_MAX_COST * 100}% of it. One run per side and rate. CPU with tracing on: ${on.map((run) => `${run.rate}/s: ${run.cpu}`).join('; ')}.`;
  return { results, method };
}

/** bench/results/observability.md: parts 7-9 of this run, then the hand-written reading kept from the file. */
export async function writeObservabilityResults(outcomes: Titled[], environment: string): Promise<void> {
  const ours = outcomes.filter(({ title }) => /^[789]\./.test(title));
  if (ours.length === 0) return;
  const results = ours.flatMap(({ outcome }) => outcome.results);
  const notes = notesOf(results);
  const previous = await readFile(RESULTS, 'utf8').catch(() => '');
  const reading = previous.includes(READING_MARKER)
    ? previous.slice(previous.indexOf(READING_MARKER) + READING_MARKER.length)
    : '\n\n## Reading\n\n(to write)\n';
  await writeText(
    RESULTS,
    `# Peer comparison, capacity curve, tracing cost (parts 7-9)\n\nWritten by \`npm run bench\` (bench/main.ts, \`BENCH_PARTS=7,8,9\` for these alone); ` +
      `every run overwrites the figures and keeps the reading at the end.\n\n${markdownTable(results)}\n\n${environment}\n\n` +
      (notes.length ? `## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n\n` : '') +
      `## How each part measures\n\n${ours.map((o) => `### ${o.title}\n\n${o.outcome.method}\n`).join('\n')}\n${READING_MARKER}${reading}`,
  );
  log(`parts 7-9 written to ${RESULTS}`);
}
