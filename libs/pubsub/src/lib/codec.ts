/**
 * How a payload becomes bytes and back (seed 004: JSON, Protocol Buffers or Avro). The transports
 * only ever see bytes; an event's definition names its codec, so a service chooses the format per
 * event type, and its `content-type` travels with every message.
 */
export interface Codec {
  /** The CloudEvents `datacontenttype` (the `content-type` header). */
  readonly contentType: string;
  encode(value: unknown): Uint8Array;
  /** Throws when the bytes are not of this format; the caller turns that into a dead letter. */
  decode(data: Uint8Array): unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The default codec: what any service in any language can read. */
export const json: Codec = {
  contentType: 'application/json',
  encode: (value) => encoder.encode(JSON.stringify(value ?? null)),
  decode: (data) => JSON.parse(decoder.decode(data)),
};
