export {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
  type ErrorKind,
} from './lib/domain-errors';
export { httpStatusOf, kindOfStatus } from './lib/http-status';
