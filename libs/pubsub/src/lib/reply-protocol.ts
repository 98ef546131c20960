import { DomainError, httpStatusOf } from '@mediamagic/errors';
import { CE } from './cloudevents';
import type { Codec } from './codec';
import { describe, RemoteError } from './errors';
import type { Envelope } from './message';
import type { Reply } from './transport';

/**
 * How an answer travels back over request/reply: the value encoded in the body, or, for a failure,
 * `{statusCode, message, details?}` in JSON with the status in `reply-status`. This is one of the two
 * edges where a domain error becomes a status code (the gateway's HTTP filter is the other).
 */
const REPLY_STATUS = 'reply-status';
const REPLY_ERROR = 'reply-error';
const JSON_TYPE = 'application/json';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function valueReply(value: unknown, codec: Codec): Reply {
  return { data: codec.encode(value ?? null), headers: { [CE.contentType]: codec.contentType } };
}

/**
 * A thrown error as an answer: a domain error keeps its meaning; anything else is an internal error whose text stays
 * here, in the log. Domain errors are not logged, not even an UnavailableError: it is the service's chosen answer
 * (load shed, say), and a line for each would flood the log just when the service is busiest.
 */
export function errorReply(error: unknown, log: (message: string) => void, subject: string): Reply {
  const remote = toRemoteError(error);
  if (remote.statusCode >= 500 && !(error instanceof DomainError)) log(`reply on ${subject} failed: ${describe(error)}`);
  return failure(remote);
}

/**
 * A request whose deadline passed before its handler started: not handled, since its caller has given up.
 * Answered all the same, cheaply and without a log line, so a caller whose clock runs behind learns why at once.
 */
export function expiredReply(subject: string): Reply {
  return failure(new RemoteError(504, `the deadline of ${subject} passed before it was handled`, 'DeadlineExceeded'));
}

/** The reply could not be sent (too large for the broker, say): the caller learns why instead of timing out. */
export function undeliverableReply(error: Error): Reply {
  return failure(new RemoteError(500, `reply not sent: ${error.message}`, 'ReplyNotSent'));
}

/** The value of a reply, or the RemoteError it carries. */
export function readReply(reply: Envelope, codec: Codec): unknown {
  const status = reply.headers[REPLY_STATUS];
  if (!status) return reply.data.length ? codec.decode(reply.data) : undefined;
  const body = JSON.parse(decoder.decode(reply.data)) as { message?: unknown; details?: Record<string, unknown> };
  throw new RemoteError(Number(status), String(body.message ?? 'error'), reply.headers[REPLY_ERROR], body.details);
}

function toRemoteError(error: unknown): RemoteError {
  if (error instanceof RemoteError) return error;
  if (error instanceof DomainError) return new RemoteError(httpStatusOf(error), error.message, error.name, error.details);
  if (error instanceof SyntaxError) return new RemoteError(400, 'request body is not valid', 'InvalidError');
  return new RemoteError(500, 'internal error', 'InternalError');
}

function failure(error: RemoteError): Reply {
  const body = { statusCode: error.statusCode, message: error.message, ...(error.details && { details: error.details }) };
  return {
    data: encoder.encode(JSON.stringify(body)),
    headers: { [CE.contentType]: JSON_TYPE, [REPLY_STATUS]: String(error.statusCode), [REPLY_ERROR]: error.errorName },
  };
}
