import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * A 429: a limit of the HTTP edge itself, not a domain error. Its `retryAfterSeconds` becomes the Retry-After
 * header (see ErrorFilter), as a service's does on a 503.
 */
export function tooManyRequests(message: string, retryAfterSeconds: number): HttpException {
  return new HttpException({ message, details: { retryAfterSeconds } }, HttpStatus.TOO_MANY_REQUESTS);
}
