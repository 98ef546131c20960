import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticateUser } from '@mediamagic/contracts';
import { PubSub, RemoteError, type MessageContext, type ParsedRequestOf } from '@mediamagic/pubsub';
import { ApiErrors } from '../http/api-docs';
import { RequestContext } from '../http/request-context.decorator';
import { AuthRateLimitGuard } from '../limits/auth-rate-limit.guard';
import { ClientAddress } from '../limits/client-address';
import { LoginAttempts } from '../limits/login-attempts';
import { AccessTokens, AccessTokenView } from './access-tokens';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(PubSub) private readonly pubsub: PubSub,
    @Inject(AccessTokens) private readonly tokens: AccessTokens,
    @Inject(LoginAttempts) private readonly attempts: LoginAttempts,
  ) {}

  // No Idempotency-Key: a login changes nothing, and each one is counted (tracking event user.logged-in).
  @Post('login')
  @UseGuards(AuthRateLimitGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange an email and password for an access token (valid one hour)' })
  @ApiResponse({ status: 200, standardSchema: AccessTokenView })
  @ApiErrors(400, 401, 429)
  async login(
    @Body({ schema: AuthenticateUser.request }) credentials: ParsedRequestOf<typeof AuthenticateUser>,
    @RequestContext() context: MessageContext,
    @ClientAddress() address: string,
  ): Promise<AccessTokenView> {
    await this.attempts.check(credentials.email, address);
    // user-service answers one 401 for a wrong email and a wrong password alike.
    const user = await this.pubsub.request(AuthenticateUser, credentials, { context }).catch(async (error: unknown) => {
      if (error instanceof RemoteError && error.statusCode === 401) await this.attempts.failed(credentials.email, address);
      throw error;
    });
    await this.attempts.succeeded(credentials.email, address);
    return this.tokens.issue(user);
  }
}
