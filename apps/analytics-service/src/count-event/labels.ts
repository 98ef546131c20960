/** At most this many values per event and label are kept apart; more are counted under OTHER_VALUE. */
export const MAX_LABEL_VALUES = 100;
export const OTHER_VALUE = '(other)';

/**
 * The payload fields of domain events that analytics counts by: few values each (a model), never an id,
 * a name or an address, which would make one row per event and say nothing.
 */
const DOMAIN_LABEL_FIELDS = ['model'] as const;

/** The labels a domain event is counted by: the fields above that its payload has as text. */
export function domainLabels(payload: unknown): Record<string, string> {
  if (typeof payload !== 'object' || payload === null) return {};
  const labels: Record<string, string> = {};
  for (const field of DOMAIN_LABEL_FIELDS) {
    const value = (payload as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.length > 0) labels[field] = value.slice(0, 256);
  }
  return labels;
}
