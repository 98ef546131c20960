import { DomainError, type ErrorKind } from './domain-errors';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
};

/** The HTTP status of an error at an edge: a domain error's own, anything else is an internal 500. */
export function httpStatusOf(error: unknown): number {
  return error instanceof DomainError ? STATUS[error.kind] : 500;
}

/** The kind an HTTP-like status stands for, for a caller that received one over the wire. */
export function kindOfStatus(status: number): ErrorKind | undefined {
  return (Object.keys(STATUS) as ErrorKind[]).find((kind) => STATUS[kind] === status);
}
