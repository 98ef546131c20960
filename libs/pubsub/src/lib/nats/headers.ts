import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import { assertHeaders } from '../header-rules';
import type { Headers } from '../message';

const encoder = new TextEncoder();

/** Headers as nats.js sends them: `encode()` is all it calls on them. */
export type HeaderBlock = MsgHdrs & { encode(): Uint8Array };

/**
 * A header block encoded in one pass. nats.js only calls `encode()` on the headers it sends (as
 * long as it is not asked to add its own, such as a `msgID`), and its own `set()` validation
 * dominated the cost of a small message.
 */
export function encodedHeaders(headers: Headers): HeaderBlock {
  assertHeaders(headers);
  let block = 'NATS/1.0\r\n';
  for (const key in headers) block += `${key}: ${headers[key]}\r\n`;
  const bytes = encoder.encode(`${block}\r\n`);
  return { encode: () => bytes } as unknown as HeaderBlock;
}

/** Keys lower-cased; of a repeated header the first value counts (CloudEvents attributes are single). */
export function fromNatsHeaders(headers: MsgHdrs | undefined): Headers {
  const result: Headers = {};
  for (const [key, values] of headers ?? []) keep(result, key.toLowerCase(), values[0]);
  return result;
}

/** The first value of a key wins; `__proto__` is never a header we set, and never set on the object. */
function keep(headers: Headers, key: string, value: string): void {
  if (key !== '__proto__' && !Object.hasOwn(headers, key)) headers[key] = value;
}

const decoder = new TextDecoder();

/**
 * The headers of a received message, read straight from its header block. nats.js's own decoding
 * validates every key again and was a fifth of the receive path; when its internals are not the
 * ones this was written for, the public (slower) way is taken.
 */
export function readHeaders(message: Msg | JsMsg): Headers {
  const core = coreOf(message);
  if (!canReadRawHeaders(core)) return fromNatsHeaders(core.headers);
  const {
    _rdata: data,
    _msg: { hdr: length },
  } = core as unknown as RawMsg;
  const result: Headers = {};
  if (length < 0) return result;
  const block = decoder.decode(data.subarray(0, length));
  // The first line is the status line ("NATS/1.0"); then "key: value" lines up to an empty one.
  for (let start = block.indexOf('\r\n') + 2, end; (end = block.indexOf('\r\n', start)) > start; start = end + 2) {
    const colon = block.indexOf(':', start);
    if (colon <= start || colon > end) continue;
    keep(result, block.slice(start, colon).toLowerCase(), block.slice(colon + 1, end).trim());
  }
  return result;
}

/** nats.js's private fields that `readHeaders` reads: the bytes received, and how many of them are the header block (-1: none). */
type RawMsg = { _rdata: Uint8Array; _msg: { hdr: number } };

/**
 * Whether `readHeaders` takes its fast path for this message. headers.spec.ts asserts it does for
 * real core and JetStream messages, so a nats.js upgrade that renames these fields fails a test
 * instead of silently slowing every receive.
 */
export function canReadRawHeaders(message: Msg | JsMsg): boolean {
  const raw = coreOf(message) as unknown as Partial<RawMsg>;
  return raw._rdata instanceof Uint8Array && typeof raw._msg?.hdr === 'number';
}

/** A JetStream message wraps the core one it arrived in (`msg`, a field of nats.js's JsMsgImpl). */
function coreOf(message: Msg | JsMsg): Msg {
  return (message as { msg?: Msg }).msg ?? (message as Msg);
}
