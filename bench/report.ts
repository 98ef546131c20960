/**
 * The one table every part of the bench adds its figures to: figure, value, what it is compared with,
 * the ratio, the target and whether it is met. Rendered as text for the console and as markdown.
 */
import { fmt } from './harness';

export interface Result {
  /** The part of the bench (1-6), for grouping. */
  part: number;
  figure: string;
  value: number;
  unit: string;
  /** What the value is measured against, e.g. "raw nats.js 219,503". */
  comparison?: string;
  ratio?: number;
  /** Human form of the target, e.g. ">= 0.90x" or "< 50 ms". */
  target?: string;
  met?: boolean;
  /** Why a figure is partial or what limits it. */
  note?: string;
}

/** A figure against a baseline, met when the ratio reaches `minRatio` (none: diagnostic). */
export function ratioResult(
  part: number,
  figure: string,
  unit: string,
  value: number,
  baseline: { label: string; value: number },
  minRatio?: number,
  note?: string,
): Result {
  const ratio = baseline.value > 0 ? value / baseline.value : 0;
  return {
    part,
    figure,
    value,
    unit,
    comparison: `${baseline.label} ${fmtValue(baseline.value, unit)}`,
    ratio,
    target: minRatio === undefined ? undefined : `>= ${minRatio.toFixed(2)}x`,
    met: minRatio === undefined ? undefined : ratio >= minRatio,
    note,
  };
}

/** A figure with an upper bound (latency, memory, start time). */
export function limitResult(part: number, figure: string, unit: string, value: number, limit?: number, note?: string): Result {
  return {
    part,
    figure,
    value,
    unit,
    target: limit === undefined ? undefined : `< ${fmtValue(limit, unit)}`,
    met: limit === undefined ? undefined : value < limit,
    note,
  };
}

export function fmtValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  const number = Math.abs(value) < 10 && value !== Math.round(value) ? value.toFixed(1) : fmt(value);
  return unit ? `${number} ${unit}` : number;
}

const COLUMNS = ['figure', 'value', 'comparison', 'ratio', 'target', 'met'] as const;

function cells(result: Result): string[] {
  return [
    `${result.part}. ${result.figure}`,
    fmtValue(result.value, result.unit),
    result.comparison ?? '-',
    result.ratio === undefined ? '-' : `${result.ratio.toFixed(2)}x`,
    result.target ?? '-',
    result.met === undefined ? '-' : result.met ? 'yes' : 'NO',
  ];
}

export function textTable(results: Result[]): string {
  const body = results.map(cells);
  const widths = COLUMNS.map((column, i) => Math.max(column.length, ...body.map((r) => r[i].length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function markdownTable(results: Result[]): string {
  return [
    `| ${COLUMNS.join(' | ')} |`,
    `|${COLUMNS.map((_, i) => (i === 0 || i === 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...results.map((result) => `| ${cells(result).join(' | ')} |`),
  ].join('\n');
}

export function notesOf(results: Result[]): string[] {
  return results.filter((r) => r.note).map((r) => `${r.part}. ${r.figure}: ${r.note}`);
}

/** p-th percentile (0-100) by nearest rank; NaN for no samples. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
