/**
 * What went wrong, in the domain's words. Services and libraries throw these; they never pick a
 * transport's status code. The edges translate: a request's reply (`reply-status`) and the
 * gateway's exception filter (HTTP), both through `httpStatusOf`.
 *
 * - `invalid`: the input breaks a rule (a schema, a token that is unknown or expired);
 * - `unauthorized`: the caller did not prove who it is;
 * - `forbidden`: the caller is known and may not do this (yet);
 * - `not-found`: no such thing, or not the caller's: the two are not told apart, so ids cannot be probed;
 * - `conflict`: the state does not allow it (a taken email, a concurrent writer, a reused idempotency key);
 * - `unavailable`: something this depends on is away for now; trying again later may work.
 */
export type ErrorKind = 'invalid' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'unavailable';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;

  /** `details`: what a client can act on (the fields that are wrong, say); never internals. */
  constructor(
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    // The class's own name, a library's subclass too (`IdempotencyKeyReusedError`): logs say which case it was.
    this.name = new.target.name;
  }
}

/** The base class of the errors of one kind. */
function ofKind<K extends ErrorKind>(kind: K) {
  abstract class OfKind extends DomainError {
    readonly kind = kind;
  }
  return OfKind;
}

export class InvalidError extends ofKind('invalid') {}
export class UnauthorizedError extends ofKind('unauthorized') {}
export class ForbiddenError extends ofKind('forbidden') {}
export class NotFoundError extends ofKind('not-found') {}
export class ConflictError extends ofKind('conflict') {}
export class UnavailableError extends ofKind('unavailable') {}
