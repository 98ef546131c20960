import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { UnauthorizedError } from '@mediamagic/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokens, type Caller } from './access-tokens';

export interface AuthenticatedRequest extends FastifyRequest {
  /** Set by BearerAuthGuard: the user the access token was issued to. */
  caller?: Caller;
}

const BEARER = /^Bearer +(\S+)$/i;

/** Lets a request through only with a valid, unexpired access token: 401 otherwise. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(@Inject(AccessTokens) private readonly tokens: AccessTokens) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    // A token checked before is answered at once: the usual case, as a client repeats its token.
    const known = token === undefined ? undefined : this.tokens.knownCallerOf(token);
    if (known) {
      request.caller = known;
      return true;
    }
    return this.verify(context, request, token);
  }

  private async verify(context: ExecutionContext, request: AuthenticatedRequest, token: string | undefined): Promise<boolean> {
    const caller = token === undefined ? undefined : await this.tokens.callerOf(token);
    if (caller === undefined) {
      const http = context.switchToHttp();
      // RFC 6750: tell the client which scheme to use.
      void http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
      throw new UnauthorizedError(token === undefined ? 'a bearer access token is required' : 'the access token is invalid or expired');
    }
    request.caller = caller;
    return true;
  }
}
