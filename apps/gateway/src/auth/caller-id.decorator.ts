import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Caller } from './access-tokens';
import type { AuthenticatedRequest } from './bearer-auth.guard';

function callerOf(context: ExecutionContext): Caller {
  const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (!caller) throw new Error('the caller is known only on a route guarded by BearerAuthGuard');
  return caller;
}

/** The id of the authenticated user, on a route guarded by BearerAuthGuard. */
export const CallerId = createParamDecorator((_data: unknown, context: ExecutionContext): string => callerOf(context).id);

/** The authenticated user as the access token says, on a route guarded by BearerAuthGuard. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => callerOf(context));
