import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const caller = token === undefined ? undefined : await this.tokens.callerOf(token);
    if (caller === undefined) {
      // RFC 6750: tell the client which scheme to use.
      void http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
      throw new UnauthorizedException(token === undefined ? 'a bearer access token is required' : 'the access token is invalid or expired');
    }
    request.caller = caller;
    return true;
  }
}
