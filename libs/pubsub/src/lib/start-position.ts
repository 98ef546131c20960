import type { StartPosition } from './transport';

/** Checks a subscription's `from` option, so a typo fails at subscribe and not as a broker error later. */
export function assertStartPosition(from: StartPosition): StartPosition {
  if (from === 'all' || from === 'new') return from;
  if (typeof from === 'object' && from !== null) {
    if ('sequence' in from && Number.isSafeInteger(from.sequence) && from.sequence >= 1) return from;
    if ('time' in from && from.time instanceof Date && !Number.isNaN(from.time.getTime())) return from;
  }
  throw new Error(`from must be 'all', 'new', {sequence: n} with n ≥ 1, or {time: a valid Date}, not ${JSON.stringify(from)}`);
}
