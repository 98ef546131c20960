import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AnalyticsSummary } from '@mediamagic/contracts';
import { PubSub, type MessageContext, type ResponseOf } from '@mediamagic/pubsub';
import { RequestContext } from '../http/request-context.decorator';

@ApiTags('analytics')
@Controller('analytics')
export class AnalyticsController {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {}

  @Get('summary')
  @ApiOperation({ summary: 'How many times each event happened on the platform' })
  @ApiResponse({ status: 200, standardSchema: AnalyticsSummary.response })
  summary(@RequestContext() context: MessageContext): Promise<ResponseOf<typeof AnalyticsSummary>> {
    return this.pubsub.request(AnalyticsSummary, {}, { context });
  }
}
