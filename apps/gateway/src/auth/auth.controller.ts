import { Body, Controller, HttpCode, HttpException, Inject, Post, UnauthorizedException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticateUser } from '@mediamagic/contracts';
import { PubSubClient, type RequestOf } from '@mediamagic/pubsub';
import { ApiErrors, ApiIdempotencyKey } from '../http/api-docs';
import { AccessTokens, AccessTokenView } from './access-tokens';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(PubSubClient) private readonly services: PubSubClient,
    @Inject(AccessTokens) private readonly tokens: AccessTokens,
  ) {}

  @Post('login')

  @ApiIdempotencyKey()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange an email and password for an access token (valid one hour)' })
  @ApiResponse({ status: 200, standardSchema: AccessTokenView })
  @ApiErrors(400, 401)
  async login(@Body({ schema: AuthenticateUser.request }) credentials: RequestOf<typeof AuthenticateUser>): Promise<AccessTokenView> {
    try {
      const user = await this.services.call(AuthenticateUser, credentials);
      return await this.tokens.issue(user.id);
    } catch (error) {
      // Whether the email or the password was wrong is not the caller's to know.
      if (error instanceof HttpException && [401, 404].includes(error.getStatus())) throw new UnauthorizedException('wrong email or password');
      throw error;
    }
  }
}
