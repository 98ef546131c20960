import { Controller, Get, Inject, Query, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { VerifyEmail } from '@mediamagic/contracts';
import { PubSub, RemoteError, type MessageContext } from '@mediamagic/pubsub';
import type { FastifyReply } from 'fastify';
import { RequestContext } from '../http/request-context.decorator';
import { AuthRateLimitGuard } from '../limits/auth-rate-limit.guard';
import { verifyPage } from './verify-page';

/** The link of the verification email: a browser opens it, so every answer is a page, never JSON. */
@ApiTags('users')
@Controller('verify')
export class VerifyController {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {}

  @Get()
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'The verification link of the email: verifies the address and shows the outcome as a page' })
  @ApiQuery({ name: 'token', required: true, type: String })
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'a page saying the address is verified' })
  @ApiResponse({ status: 400, description: 'a page saying why it is not (unknown, used or expired token)' })
  // No schema: an invalid token must get the HTML page, not the JSON error of the validation pipe.
  async verify(@Query('token') token: unknown, @Res() reply: FastifyReply, @RequestContext() context: MessageContext): Promise<void> {
    const { status, page } = await this.outcome(token, context);
    await reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
      // The URL holds a token: keep it out of caches and out of the Referer of any link followed from here.
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(page);
  }

  private async outcome(token: unknown, context: MessageContext): Promise<{ status: number; page: string }> {
    if (typeof token !== 'string' || !VerifyEmail.request.safeParse({ token }).success) {
      return { status: 400, page: verifyPage({ verified: false, reason: 'This link has no valid verification token. Use the link of the email as it is.' }) };
    }
    try {
      const user = await this.pubsub.request(VerifyEmail, { token }, { context });
      return { status: 200, page: verifyPage({ verified: true, email: user.email }) };
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      const status = error.statusCode;
      // The service's reason is the user's to read (unknown, used or expired); an outage's is not.
      const reason = status < 500 ? error.message : 'The address cannot be verified right now. Please try the link again later.';
      return { status, page: verifyPage({ verified: false, reason }) };
    }
  }
}
