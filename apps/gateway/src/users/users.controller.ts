import { Body, Controller, Get, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { GetUser, RegisterUser, UserView, VerifyEmail } from '@mediamagic/contracts';
import { PubSub, type MessageContext, type ParsedRequestOf, type ResponseOf } from '@mediamagic/pubsub';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CallerId } from '../auth/caller-id.decorator';
import { ApiErrors, ApiIdempotencyKey } from '../http/api-docs';
import { ownedBy, RequestContext } from '../http/request-context.decorator';
import { AuthRateLimitGuard } from '../limits/auth-rate-limit.guard';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {}

  @Post()
  @UseGuards(AuthRateLimitGuard)
  @ApiIdempotencyKey()
  @ApiOperation({ summary: 'Register; the verification email carries a token' })
  @ApiResponse({ status: 201, standardSchema: UserView })
  @ApiErrors(400, 409, 413, 429)
  register(
    @Body({ schema: RegisterUser.request }) registration: ParsedRequestOf<typeof RegisterUser>,
    @RequestContext() context: MessageContext,
  ): Promise<ResponseOf<typeof RegisterUser>> {
    return this.pubsub.request(RegisterUser, registration, { context: ownedBy(registration.email, context) });
  }

  @Post('verify')
  @UseGuards(AuthRateLimitGuard)
  @ApiIdempotencyKey()
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify the email address with the token of the verification email' })
  @ApiResponse({ status: 200, standardSchema: VerifyEmail.response })
  @ApiErrors(400, 429)
  verify(
    @Body({ schema: VerifyEmail.request }) verification: ParsedRequestOf<typeof VerifyEmail>,
    @RequestContext() context: MessageContext,
  ): Promise<ResponseOf<typeof VerifyEmail>> {
    return this.pubsub.request(VerifyEmail, verification, { context: ownedBy(verification.token, context) });
  }

  @Get('me')
  @UseGuards(BearerAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The authenticated user' })
  @ApiResponse({ status: 200, standardSchema: UserView })
  @ApiErrors(401, 404)
  me(@CallerId() callerId: string, @RequestContext() context: MessageContext): Promise<ResponseOf<typeof GetUser>> {
    return this.pubsub.request(GetUser, { id: callerId }, { context });
  }
}
