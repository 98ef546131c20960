const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d`, `720h`, `1h30m`, `90s`, `500ms` → milliseconds; throws on anything else, or on zero. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) throw new Error(`"${text}" is not a duration: write a number and a unit (ms, s, m, h, d), like 30d or 720h`);
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(amount) * UNIT_MS[unit!]!;
  if (!Number.isSafeInteger(total) || total <= 0) throw new Error(`"${text}" must be a duration above zero`);
  return total;
}

/** How long streams keep events: 30 days unless `STREAM_MAX_AGE` says otherwise (a replay reaches back this far). */
export const DEFAULT_STREAM_MAX_AGE_MS = 30 * UNIT_MS['d']!;

/** `STREAM_MAX_AGE` from the environment, checked: a service with a wrong one must not start. */
export function streamMaxAgeFrom(env: NodeJS.ProcessEnv = process.env): number {
  const value = env['STREAM_MAX_AGE']?.trim();
  if (!value) return DEFAULT_STREAM_MAX_AGE_MS;
  try {
    return parseDuration(value);
  } catch (error) {
    throw new Error(`invalid configuration: STREAM_MAX_AGE: ${(error as Error).message}`);
  }
}
