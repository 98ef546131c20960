import type { Headers } from './message';

const KEY = /^[!-9;-~]+$/;
const LINE_BREAK = /[\r\n]/;

/**
 * What NATS can carry in a header: printable keys without a colon, values without line breaks
 * (a line break would let a value forge other headers). Every transport checks the same rule.
 */
export function assertHeaders(headers: Headers): void {
  for (const key in headers) {
    if (!KEY.test(key) || LINE_BREAK.test(headers[key])) throw new Error(`invalid header "${key}"`);
  }
}

/** A free text (an error message) made fit for a header value. */
export function singleLine(text: string, maxLength = 1_000): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, maxLength);
}
