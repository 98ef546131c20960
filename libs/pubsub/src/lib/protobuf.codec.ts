import type { Type } from 'protobufjs';
import type { Codec } from './codec';

/**
 * Protocol Buffers through protobufjs: compact, and readable by any language that has the `.proto`.
 * The schema of the event definition still validates what `decode` returns, as with JSON.
 */
export function protobuf(type: Type): Codec {
  return {
    contentType: `application/protobuf; messagetype=${type.fullName.replace(/^\./, '')}`,
    encode: (value) => {
      const problem = type.verify(value as Record<string, unknown>);
      if (problem) throw new Error(`not a ${type.name}: ${problem}`);
      return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
    },
    // Plain values (strings for 64-bit numbers and enums) and every field present, as the schema expects.
    decode: (data) => type.toObject(type.decode(data), { longs: String, enums: String, defaults: true }),
  };
}
