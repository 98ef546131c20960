import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '@mediamagic/testing';

/** A metric a PromQL expression selects, with the label names its matchers use. */
export interface Selector {
  metric: string;
  labels: string[];
}

// Words of PromQL that are neither metrics nor functions (which are always followed by "(").
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/**
 * The metrics an expression reads. Enough of PromQL for dashboards and rules: strings, label matchers,
 * ranges, `offset`, and the label lists of `by`/`without`/`on`/`ignoring`/`group_*` are set aside, and what
 * is left that is a name not followed by "(" (a function or an aggregation) is a metric.
 */
export function selectorsOf(expression: string): Selector[] {
  const strings: string[] = [];
  let text = expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, (literal) => `__string${strings.push(literal) - 1}__`);
  const matchers: string[] = [];
  text = text.replace(/\{([^}]*)\}/g, (_, inside: string) => ` __matchers${matchers.push(inside) - 1}__`);
  text = text
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[\w$]+/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const selectors: Selector[] = [];
  for (const match of text.matchAll(/([A-Za-z_:][\w:]*)(\s*__matchers(\d+)__)?(\s*\()?/g)) {
    const [, name, , matcherIndex, call] = match;
    if (call || KEYWORDS.has(name.toLowerCase()) || /^__(string|matchers)\d+__$/.test(name)) continue;
    // `0.99`, `1e3`: the name-like part of a number.
    if (/[\d.]$/.test(text.slice(0, match.index))) continue;
    const inside = matcherIndex === undefined ? '' : matchers[Number(matcherIndex)];
    const labels = [...inside.matchAll(/([A-Za-z_]\w*)\s*(=~|!~|!=|=)/g)].map(([, label]) => label);
    selectors.push({ metric: name, labels });
  }
  return selectors;
}

/** The histogram a `_bucket`, `_sum` or `_count` series belongs to, or the name itself. */
export function familyOf(metric: string, histograms: Set<string>): string {
  const suffix = HISTOGRAM_SUFFIXES.find((candidate) => metric.endsWith(candidate));
  const base = suffix ? metric.slice(0, -suffix.length) : metric;
  return suffix && histograms.has(base) ? base : metric;
}

/** Every PromQL expression of the provisioned Grafana dashboards and of the Prometheus rules, with where it is. */
export function observabilityQueries(root = ROOT): Array<{ where: string; expr: string }> {
  const queries: Array<{ where: string; expr: string }> = [];
  const dashboardDir = 'docker/observability/grafana/dashboards';
  for (const file of ['mediamagic-platform.json']) {
    const dashboard = JSON.parse(readFileSync(resolve(root, dashboardDir, file), 'utf8')) as { panels: Panel[] };
    for (const panel of dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])])) {
      for (const target of panel.targets ?? []) queries.push({ where: `${file}: ${panel.title}`, expr: target.expr });
    }
  }
  const rules = parse(readFileSync(resolve(root, 'docker/observability/rules.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
  };
  for (const rule of rules.groups.flatMap((group) => group.rules)) queries.push({ where: `rules.yml: ${rule.alert ?? rule.record}`, expr: rule.expr });
  return queries;
}

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

/** One scrape in the Prometheus text format: every sample's metric name with its label names, and each family's type. */
export interface Scrape {
  samples: Map<string, Set<string>>;
  types: Map<string, string>;
}

export function parseExposition(text: string): Scrape {
  const samples = new Map<string, Set<string>>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([A-Za-z_:][\w:]*)(\{(.*)\})?\s/.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels = samples.get(sample[1]) ?? new Set<string>();
    for (const [, label] of (sample[3] ?? '').matchAll(/([A-Za-z_]\w*)="/g)) labels.add(label);
    samples.set(sample[1], labels);
  }
  return { samples, types };
}
