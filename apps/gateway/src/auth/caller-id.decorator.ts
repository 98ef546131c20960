import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './bearer-auth.guard';

/** The id of the authenticated user, on a route guarded by BearerAuthGuard. */
export const CallerId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const callerId = context.switchToHttp().getRequest<AuthenticatedRequest>().callerId;
  if (!callerId) throw new Error('CallerId used on a route without BearerAuthGuard');
  return callerId;
});
