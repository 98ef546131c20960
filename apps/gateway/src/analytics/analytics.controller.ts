import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AnalyticsSummary } from '@mediamagic/contracts';
import { PubSubClient, type MessageContext, type ResponseOf } from '@mediamagic/pubsub';
import { RequestContext } from '../http/request-context.decorator';

@ApiTags('analytics')
@Controller('analytics')
export class AnalyticsController {
  constructor(@Inject(PubSubClient) private readonly services: PubSubClient) {}

  @Get('summary')
  @ApiOperation({ summary: 'How many times each event happened on the platform' })
  @ApiResponse({ status: 200, standardSchema: AnalyticsSummary.response })
  summary(@RequestContext() context: MessageContext): Promise<ResponseOf<typeof AnalyticsSummary>> {
    return this.services.call(AnalyticsSummary, {}, { context });
  }
}
