import type { z } from 'zod';
import type { Codec } from './codec';
import { invalidRequest } from './event-definition';
import { assertSubject } from './subject';

/**
 * One typed contract per request/reply pair, shared by the caller and the responder: the subject,
 * the request schema and the reply schema. The responder rejects a request that does not match
 * with an InvalidError (400 at the edge) that says what is wrong, as an HTTP API would.
 */
export interface RequestDefinition<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly subject: string;
  readonly request: Req;
  readonly response: Res;
  /** Of both the request and the reply; default JSON. */
  readonly codec?: Codec;
  readonly description?: string;
  /**
   * Safe to send twice (a read): an attempt that gets no answer within 2 s is sent again until the deadline, as
   * one carrying an Idempotency-Key is, so a request lost with a dying NATS member is answered by a live one.
   */
  readonly idempotent?: boolean;
}

/** What a caller sends (defaults may be left out). */
export type RequestOf<D extends RequestDefinition> = z.input<D['request']>;
/** What the responder's handler receives: the request after the contract parsed it. */
export type ParsedRequestOf<D extends RequestDefinition> = z.output<D['request']>;
export type ResponseOf<D extends RequestDefinition> = z.output<D['response']>;

export function defineRequest<Req extends z.ZodType, Res extends z.ZodType>(definition: RequestDefinition<Req, Res>): RequestDefinition<Req, Res> {
  assertSubject(definition.subject);
  return Object.freeze({ ...definition });
}

/** The parsed request, or an InvalidError listing every issue. */
export function parseRequest<D extends RequestDefinition>(definition: D, value: unknown): ParsedRequestOf<D> {
  const result = definition.request.safeParse(value);
  if (result.success) return result.data as ParsedRequestOf<D>;
  throw invalidRequest(result.error);
}
