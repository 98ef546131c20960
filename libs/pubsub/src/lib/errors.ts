/**
 * Thrown by a handler when retrying cannot help (a malformed message, a rule that will never pass):
 * the message goes straight to the dead letters with this reason instead of being redelivered.
 */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
}

/** A payload that does not match its event's schema: on publish it is thrown, on receipt dead-lettered. */
export class InvalidPayloadError extends PermanentError {
  override readonly name = 'InvalidPayloadError';
  constructor(
    readonly subject: string,
    readonly issues: string,
  ) {
    super(`invalid payload for ${subject}: ${issues}`);
  }
}

/**
 * An error that crossed a request/reply: the responder's status code (HTTP semantics: 404, 409, ...),
 * name and message arrive intact, so the caller can answer its own client with the same status.
 */
export class RemoteError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errorName = 'Error',
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

/** Nobody answered in time; distinct from an error the responder sent back. */
export class RequestTimeoutError extends RemoteError {
  constructor(subject: string, timeoutMs: number) {
    super(504, `no reply on ${subject} within ${timeoutMs} ms`, 'RequestTimeoutError');
  }
}

/**
 * The status an error should carry over the wire: our own `statusCode`, Nest's `HttpException`
 * (`getStatus()`), anything else is an internal error whose message must not leak.
 */
export function toRemoteError(error: unknown): RemoteError {
  if (error instanceof RemoteError) return error;
  const candidate = error as { statusCode?: unknown; getStatus?: () => unknown; message?: unknown; name?: unknown };
  const status = typeof candidate?.getStatus === 'function' ? candidate.getStatus() : candidate?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 600) {
    return new RemoteError(status, String(candidate.message ?? 'error'), String(candidate.name ?? 'Error'));
  }
  return new RemoteError(500, 'internal error', 'InternalError');
}
