import { InvalidError } from '@mediamagic/errors';
import type { z } from 'zod';
import { json, type Codec } from './codec';
import { InvalidPayloadError } from './errors';
import type { Delivery } from './message';
import { assertSubject } from './subject';

/**
 * One typed contract per event, shared by the publisher and every consumer: the subject, the
 * schema version, the payload schema, how important delivery is and how it is encoded.
 */
export interface EventDefinition<S extends z.ZodType = z.ZodType> {
  readonly subject: string;
  readonly version: number;
  readonly schema: S;
  readonly delivery: Delivery;
  /** Default JSON. */
  readonly codec?: Codec;
  readonly description?: string;
}

export type PayloadOf<D extends EventDefinition> = z.output<D['schema']>;

export function defineEvent<S extends z.ZodType>(definition: EventDefinition<S>): EventDefinition<S> {
  assertSubject(definition.subject);
  return Object.freeze({ ...definition });
}

/** The CloudEvents `dataschema` of a definition: names the contract and its version. */
export function dataschemaOf(definition: EventDefinition): string {
  return `urn:mediamagic:event:${definition.subject}:v${definition.version}`;
}

/** The payload, parsed by the schema, or an InvalidPayloadError that says what is wrong. */
export function parsePayload<D extends EventDefinition>(definition: D, value: unknown): PayloadOf<D> {
  const result = definition.schema.safeParse(value);
  if (result.success) return result.data as PayloadOf<D>;
  throw new InvalidPayloadError(definition.subject, issuesOf(result.error));
}

/** Validated, then encoded with the definition's codec. */
export function encodePayload<D extends EventDefinition>(definition: D, payload: PayloadOf<D>): Uint8Array {
  return codecOf(definition).encode(parsePayload(definition, payload));
}

/** Decoded with the definition's codec, then validated: bytes that are neither are an InvalidPayloadError. */
export function decodePayload<D extends EventDefinition>(definition: D, data: Uint8Array): PayloadOf<D> {
  let value: unknown;
  try {
    value = codecOf(definition).decode(data);
  } catch (error) {
    throw new InvalidPayloadError(definition.subject, `body is not ${codecOf(definition).contentType}: ${(error as Error).message}`);
  }
  return parsePayload(definition, value);
}

export function codecOf(definition: { codec?: Codec }): Codec {
  return definition.codec ?? json;
}

/** A request that breaks its contract: the responder answers 400 with the issues. */
export function invalidRequest(error: z.ZodError): InvalidError {
  return new InvalidError(`invalid request: ${issuesOf(error)}`);
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
