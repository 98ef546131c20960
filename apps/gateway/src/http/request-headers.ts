/** What an Idempotency-Key or X-Request-Id may be: 1 to 200 visible ASCII characters (no spaces, no line breaks). */
export const VISIBLE_ASCII = /^[\x21-\x7e]{1,200}$/;

export function isVisibleAscii(value: unknown): value is string {
  return typeof value === 'string' && VISIBLE_ASCII.test(value);
}
