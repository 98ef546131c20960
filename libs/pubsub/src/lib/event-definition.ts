import type { z } from 'zod';
import { InvalidPayloadError } from './errors';
import type { Delivery } from './message';
import { assertSubject } from './subject';

/**
 * One typed contract per event, shared by the publisher and every consumer: the subject, the
 * schema version, the payload schema and how important delivery is.
 */
export interface EventDefinition<S extends z.ZodType = z.ZodType> {
  readonly subject: string;
  readonly version: number;
  readonly schema: S;
  readonly delivery: Delivery;
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
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  throw new InvalidPayloadError(definition.subject, issues);
}
