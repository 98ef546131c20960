import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { DomainError, httpStatusOf } from '@mediamagic/errors';
import { RemoteError } from '@mediamagic/pubsub';
import type { FastifyReply } from 'fastify';

/** The body of every error answer of the API (documented as ErrorBody). */
export interface ErrorAnswer {
  statusCode: number;
  message: string;
  details?: Readonly<Record<string, unknown>>;
}

const INTERNAL = 'internal error';

// Server errors whose message tells the client something true and nothing internal: no service
// answers (503, or a service's own UnavailableError) and no answer in time (504). Any other 5xx
// message may hold a stack's worth of internals (a driver's error, a reply that broke its contract).
const TELLING_5XX = new Set([503, 504]);

/**
 * What an error is answered with. Only the edge picks HTTP statuses: a failed request to a service
 * keeps the status of its reply, a domain error gets its kind's, Nest's and Fastify's own (validation,
 * unknown route, 413, 415, bad JSON) theirs; anything else is a bug, answered 500.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  const { statusCode, message, details } = classify(error);
  if (hidesMessage(statusCode)) return { statusCode, message: INTERNAL };
  return details === undefined ? { statusCode, message } : { statusCode, message, details };
}

function hidesMessage(statusCode: number): boolean {
  return statusCode >= 500 && !TELLING_5XX.has(statusCode);
}

function classify(error: unknown): ErrorAnswer {
  if (error instanceof RemoteError) return { statusCode: error.statusCode, message: error.message, details: error.details };
  if (error instanceof DomainError) return { statusCode: httpStatusOf(error), message: error.message, details: error.details };
  if (error instanceof HttpException) return { statusCode: error.getStatus(), ...bodyOf(error) };
  return { statusCode: 500, message: INTERNAL };
}

// Nest's exceptions answer `{message, error, statusCode}` (a pipe's message may be a list) or a string; the
// gateway's own 429 (tooManyRequests) has details too.
function bodyOf(exception: HttpException): Pick<ErrorAnswer, 'message' | 'details'> {
  const response = exception.getResponse();
  const { message, details } =
    typeof response === 'object' && response !== null ? (response as { message?: unknown; details?: ErrorAnswer['details'] }) : { message: response };
  if (Array.isArray(message)) return { message: message.join('; '), details };
  return { message: typeof message === 'string' ? message : exception.message, details };
}

// A load shed (503) or a limit (429) says when to come back: a number of seconds in the answer's details.
const RETRY_LATER = new Set([429, 503]);

function retryAfterOf(answer: ErrorAnswer): number | undefined {
  const seconds = answer.details?.['retryAfterSeconds'];
  return RETRY_LATER.has(answer.statusCode) && typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

/**
 * The one exception filter of the gateway (global): every error answer, Nest's unknown-route 404 and
 * Fastify's body errors included, leaves here in the one shape of ErrorAnswer.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const answer = errorAnswer(error);
    // What the client is not told must still be found: the whole error goes to the log.
    if (hidesMessage(answer.statusCode)) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    else if (answer.statusCode >= 500) this.logger.warn(answer.message);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    // A handler that answered itself and failed afterwards: the client already has its answer.
    if (reply.sent) return;
    const retryAfter = retryAfterOf(answer);
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    void reply.status(answer.statusCode).send(answer);
  }
}
