/**
 * The bench's knobs, from the environment. BENCH_QUICK=1 shrinks every part to a smoke test (about two
 * minutes); every figure can also be set on its own. BENCH_PARTS=1,2 runs only those parts.
 */
const quick = process.env['BENCH_QUICK'] === '1';

const num = (name: string, full: number, short: number): number => Number(process.env[name] ?? (quick ? short : full));

export const QUICK = quick;
export const PARTS = new Set((process.env['BENCH_PARTS'] ?? '1,2,3,4,5,6,7,8,9,10,11').split(',').map((p) => Number(p.trim())));

/** Part 1 and 2: rounds after the warm-up, and messages per round. */
export const ROUNDS = num('BENCH_ROUNDS', 3, 1);
export const FANOUT_N = num('BENCH_FANOUT_N', 200_000, 20_000);
export const JS_N = num('BENCH_JS_N', 30_000, 4_000);
export const NEST_N = num('BENCH_NEST_N', 50_000, 10_000);
/** Part 7: messages per round of the at-least-once peer comparison. */
export const PEER_N = num('BENCH_PEER_N', 20_000, 4_000);

/** Part 3: seconds per autocannon run, the fixed rate (requests/s) and the connections. */
export const HTTP_SECONDS = num('BENCH_HTTP_SECONDS', 15, 3);
export const HTTP_RATE = num('BENCH_HTTP_RATE', 200, 100);
export const HTTP_CONNECTIONS = num('BENCH_HTTP_CONNECTIONS', 20, 10);

/** Part 4: deployments per second and seconds of steady load. */
export const FANOUT_RATE = num('BENCH_FANOUT_RATE', 200, 100);
export const FANOUT_SECONDS = num('BENCH_FANOUT_SECONDS', 25, 4);
/** Seconds of the same load before part 4 measures, on the services just restarted by part 5. */
export const FANOUT_WARMUP_SECONDS = num('BENCH_FANOUT_WARMUP_SECONDS', 5, 1);
/** How long part 4 waits, after the last POST was answered, for every email and ack before it reports what it has. */
export const FANOUT_WAIT_SECONDS = num('BENCH_FANOUT_WAIT_SECONDS', 120, 40);

/** Parts 8 and 9: the rates of the capacity curve (deployments/s), and seconds of load and of warm-up at each. */
export const CURVE_RATES = (process.env['BENCH_CURVE_RATES'] ?? '50,100,200,300').split(',').map(Number);
export const CURVE_SECONDS = num('BENCH_CURVE_SECONDS', 15, 4);
export const CURVE_WARMUP_SECONDS = num('BENCH_CURVE_WARMUP_SECONDS', 3, 1);

/** Part 6: registrations in the burst, and how long a new user keeps trying after it before the bench reports n/a. */
export const BURST_REGISTRATIONS = num('BENCH_BURST_N', 1_000, 1_000);
export const BURST_WAIT_SECONDS = num('BENCH_BURST_WAIT_SECONDS', 300, 60);

/** Whatever happens, the bench stops. */
export const WATCHDOG_MS = num('BENCH_WATCHDOG_MS', 35 * 60_000, 10 * 60_000);
