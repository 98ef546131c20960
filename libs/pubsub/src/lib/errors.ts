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
 * A request that failed on the other side (or on the way): the responder's status (HTTP semantics:
 * 404, 409, ...), message and details arrive intact, so the edge can answer its own client alike.
 */
export class RemoteError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errorName = 'Error',
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

/**
 * Nobody listens on the subject (yet): a service that is starting or restarting. `PubSub.request`
 * waits for one within the request's deadline; this reaches the caller only when none came in time.
 */
export class NoRespondersError extends RemoteError {
  constructor(subject: string) {
    super(503, `no service answers ${subject}`, 'NoResponders');
  }
}

/** Nobody answered in time; distinct from an error the responder sent back. */
export class RequestTimeoutError extends RemoteError {
  constructor(subject: string, timeoutMs: number) {
    super(504, `no reply on ${subject} within ${timeoutMs} ms`, 'RequestTimeoutError');
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
