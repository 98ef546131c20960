/** One scrape of a Prometheus text endpoint: each sample by its name and labels, as `name{a="x",b="y"}` (labels sorted). */
export async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key!, value!] as const);
    samples.set(sampleKey(match[1]!, Object.fromEntries(labels)), Number(match[3]));
  }
  return samples;
}

export function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return sorted.length === 0 ? name : `${name}{${sorted.map(([key, value]) => `${key}="${value}"`).join(',')}}`;
}

/** A sample's value, 0 when the series does not exist (yet). */
export function valueOf(samples: Map<string, number>, name: string, labels?: Record<string, string>): number {
  return samples.get(sampleKey(name, labels)) ?? 0;
}
