/**
 * What went wrong, in the domain's words. Services and libraries throw these; they never pick a
 * transport's status code. The edges translate: a request's reply (`reply-status`) and the
 * gateway's exception filter (HTTP), both through `httpStatusOf`.
 */
export type ErrorKind = 'invalid' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'unavailable';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  // Each class's `name` is typed `string`, not its literal, so a library can name its own case
  // (`class IdempotencyKeyReusedError extends ConflictError`) and logs say which one it was.

  /** `details`: what a client can act on (the fields that are wrong, say); never internals. */
  constructor(
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** The input breaks a rule (a schema, a token that is unknown or expired). */
export class InvalidError extends DomainError {
  override readonly name: string = 'InvalidError';
  readonly kind = 'invalid';
}

/** The caller did not prove who it is. */
export class UnauthorizedError extends DomainError {
  override readonly name: string = 'UnauthorizedError';
  readonly kind = 'unauthorized';
}

/** The caller is known and may not do this (yet). */
export class ForbiddenError extends DomainError {
  override readonly name: string = 'ForbiddenError';
  readonly kind = 'forbidden';
}

/** No such thing, or not the caller's: the two are not told apart, so ids cannot be probed. */
export class NotFoundError extends DomainError {
  override readonly name: string = 'NotFoundError';
  readonly kind = 'not-found';
}

/** The state does not allow it: a taken email, a concurrent writer, a reused idempotency key. */
export class ConflictError extends DomainError {
  override readonly name: string = 'ConflictError';
  readonly kind = 'conflict';
}

/** Something this depends on is away for now; trying again later may work. */
export class UnavailableError extends DomainError {
  override readonly name: string = 'UnavailableError';
  readonly kind = 'unavailable';
}
