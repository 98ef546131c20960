import { ConflictError, ForbiddenError, InvalidError, NotFoundError, UnauthorizedError, UnavailableError } from './domain-errors';
import { httpStatusOf, kindOfStatus } from './http-status';

describe('httpStatusOf', () => {
  it('gives each domain error its status, and anything else 500', () => {
    expect(
      [
        new InvalidError('x'),
        new UnauthorizedError('x'),
        new ForbiddenError('x'),
        new NotFoundError('x'),
        new ConflictError('x'),
        new UnavailableError('x'),
      ].map(httpStatusOf),
    ).toEqual([400, 401, 403, 404, 409, 503]);
    expect(httpStatusOf(new Error('boom'))).toBe(500);
    expect(httpStatusOf('not an error')).toBe(500);
  });

  it('gives a subclass its parent kind and status, under its own name', () => {
    class KeyReusedError extends ConflictError {
      override readonly name = 'KeyReusedError';
    }
    const error = new KeyReusedError('the key was used for another request');
    expect({ name: error.name, kind: error.kind, status: httpStatusOf(error) }).toEqual({ name: 'KeyReusedError', kind: 'conflict', status: 409 });
  });

  it('reads a status back as its kind', () => {
    expect(kindOfStatus(409)).toBe('conflict');
    expect(kindOfStatus(418)).toBeUndefined();
  });
});
