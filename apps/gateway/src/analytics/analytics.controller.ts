import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AnalyticsSeries, AnalyticsSummary } from '@mediamagic/contracts';
import { PubSub, type MessageContext, type ParsedRequestOf, type ResponseOf } from '@mediamagic/pubsub';
import { ApiErrors } from '../http/api-docs';
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

  @Get('series')
  @ApiOperation({ summary: 'How many times one event happened per minute, oldest first, by label value with `label`: for a chart' })
  @ApiResponse({ status: 200, standardSchema: AnalyticsSeries.response })
  @ApiErrors(400)
  series(
    // Checked here against the contract, and again by analytics-service, which alone knows the names and labels counted.
    @Query({ schema: AnalyticsSeries.request }) query: ParsedRequestOf<typeof AnalyticsSeries>,
    @RequestContext() context: MessageContext,
  ): Promise<ResponseOf<typeof AnalyticsSeries>> {
    return this.pubsub.request(AnalyticsSeries, query, { context });
  }
}
