/**
 * Small benchmark harness: timing, bounded waiting, medians and the result table.
 * Nothing here knows about NATS.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export { yieldToLoop };

export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rate in messages per second, `count` messages over `ms` milliseconds. */
export const rate = (count: number, ms: number): number => (ms > 0 ? (count * 1000) / ms : 0);

/**
 * Waits until `done()` is true. Gives up when nothing progressed (`progress()` unchanged) for
 * `stallMs`, or after `timeoutMs` in all: the bench must never hang on a lost message.
 */
export async function waitUntil(done: () => boolean, progress: () => number, { stallMs = 3_000, timeoutMs = 120_000, pollMs = 5 } = {}): Promise<boolean> {
  const deadline = now() + timeoutMs;
  let last = progress();
  let lastChange = now();
  while (!done()) {
    await sleep(pollMs);
    const current = progress();
    if (current !== last) {
      last = current;
      lastChange = now();
    } else if (now() - lastChange > stallMs || now() > deadline) {
      return false;
    }
  }
  return true;
}

/** Runs `task` with at most `window` calls in flight, `count` calls in all (`task(i)`, i = 0..count-1). */
export async function windowed(count: number, window: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

/** A measured figure of one run; `note` says when it is partial (messages lost or timed out). */
export interface Figure {
  value: number;
  note?: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Row {
  case: string;
  library: Figure[];
  raw: Figure[];
  /** Minimum library/raw ratio; none for a diagnostic row. */
  target?: number;
}

export interface SummaryRow {
  case: string;
  library: number;
  raw: number;
  ratio: number;
  target?: number;
  met?: boolean;
  rounds: string;
  notes: string[];
}

export function summarize(rows: Row[]): SummaryRow[] {
  return rows.map((row) => {
    const library = median(row.library.map((f) => f.value));
    const raw = median(row.raw.map((f) => f.value));
    const ratio = raw > 0 ? library / raw : 0;
    const notes = [...row.library.map((f) => f.note && `library: ${f.note}`), ...row.raw.map((f) => f.note && `raw: ${f.note}`)].filter(
      (note): note is string => Boolean(note),
    );
    const rounds = row.library.map((f, i) => `${fmt(f.value)}/${fmt(row.raw[i]?.value ?? 0)}`).join(', ');
    const met = row.target === undefined ? undefined : ratio >= row.target;
    return { case: row.case, library, raw, ratio, target: row.target, met, rounds, notes };
  });
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
