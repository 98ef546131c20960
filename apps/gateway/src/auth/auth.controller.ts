import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticateUser } from '@mediamagic/contracts';
import { PubSub, type MessageContext, type ParsedRequestOf } from '@mediamagic/pubsub';
import { ApiErrors } from '../http/api-docs';
import { RequestContext } from '../http/request-context.decorator';
import { AccessTokens, AccessTokenView } from './access-tokens';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(PubSub) private readonly pubsub: PubSub,
    @Inject(AccessTokens) private readonly tokens: AccessTokens,
  ) {}

  // No Idempotency-Key: a login changes nothing, and each one is counted (tracking event user.logged-in).
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange an email and password for an access token (valid one hour)' })
  @ApiResponse({ status: 200, standardSchema: AccessTokenView })
  @ApiErrors(400, 401)
  async login(
    @Body({ schema: AuthenticateUser.request }) credentials: ParsedRequestOf<typeof AuthenticateUser>,
    @RequestContext() context: MessageContext,
  ): Promise<AccessTokenView> {
    // user-service answers one 401 for a wrong email and a wrong password alike.
    const user = await this.pubsub.request(AuthenticateUser, credentials, { context });
    return this.tokens.issue(user);
  }
}
