import type { z } from 'zod';
import { RemoteError } from './errors';
import { assertSubject } from './subject';

/**
 * One typed contract per request/reply pair, shared by the caller and the responder: the subject,
 * the request schema and the reply schema. The responder rejects a request that does not match
 * with a 400 that says what is wrong, as an HTTP API would.
 */
export interface RequestDefinition<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly subject: string;
  readonly request: Req;
  readonly response: Res;
  readonly description?: string;
}

/** What a caller sends (defaults may be left out). */
export type RequestOf<D extends RequestDefinition> = z.input<D['request']>;
/** What the responder's handler receives: the request after the contract parsed it. */
export type ParsedRequestOf<D extends RequestDefinition> = z.output<D['request']>;
export type ResponseOf<D extends RequestDefinition> = z.output<D['response']>;

export function defineRequest<Req extends z.ZodType, Res extends z.ZodType>(
  definition: RequestDefinition<Req, Res>,
): RequestDefinition<Req, Res> {
  assertSubject(definition.subject);
  return Object.freeze({ ...definition });
}

/** The parsed request, or a RemoteError 400 listing every issue. */
export function parseRequest<D extends RequestDefinition>(definition: D, value: unknown): ParsedRequestOf<D> {
  const result = definition.request.safeParse(value);
  if (result.success) return result.data as ParsedRequestOf<D>;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new RemoteError(400, issues.join('; '), 'BadRequest');
}
