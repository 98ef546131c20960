import { randomUUID } from 'node:crypto';
import type { Headers } from './message';

/**
 * CloudEvents 1.0, binary content mode: the attributes travel as `ce-*` headers and the body is the
 * payload itself, so a consumer in any language can read it without knowing this library.
 */
export const CE = {
  id: 'ce-id',
  source: 'ce-source',
  type: 'ce-type',
  time: 'ce-time',
  specversion: 'ce-specversion',
  dataschema: 'ce-dataschema',
  contentType: 'content-type',
  // Extension attributes (lower-case alphanumerics, as the spec requires).
  correlationId: 'ce-correlationid',
  causationId: 'ce-causationid',
  idempotencyKey: 'ce-idempotencykey',
} as const;

export interface CloudEventInput {
  type: string;
  source: string;
  contentType: string;
  id?: string;
  time?: Date;
  dataschema?: string;
  correlationId?: string;
  causationId?: string;
  idempotencyKey?: string;
}

export function cloudEventHeaders(input: CloudEventInput, extra: Headers = {}): Headers {
  const headers: Headers = {
    ...(isEmpty(extra) ? undefined : lowerCaseKeys(extra)),
    [CE.specversion]: '1.0',
    [CE.id]: input.id ?? randomUUID(),
    [CE.source]: input.source,
    [CE.type]: input.type,
    [CE.time]: (input.time ?? new Date()).toISOString(),
    [CE.contentType]: input.contentType,
  };
  if (input.dataschema) headers[CE.dataschema] = input.dataschema;
  if (input.correlationId) headers[CE.correlationId] = input.correlationId;
  if (input.causationId) headers[CE.causationId] = input.causationId;
  if (input.idempotencyKey) headers[CE.idempotencyKey] = input.idempotencyKey;
  return headers;
}

function isEmpty(headers: Headers): boolean {
  for (const _ in headers) return false;
  return true;
}

function lowerCaseKeys(headers: Headers): Headers {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}
