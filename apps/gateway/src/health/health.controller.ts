import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { UnavailableError } from '@mediamagic/errors';
import { PubSub } from '@mediamagic/pubsub';
import { z } from 'zod';
import { ApiErrors } from '../http/api-docs';

const READY_TIMEOUT_MS = 1_000;

const Health = z.object({ status: z.literal('ok') });
// The 503 is an error answer like any other, with what failed in its details.
const Readiness = z.object({
  status: z.literal('ok'),
  checks: z.object({ nats: z.literal('up') }),
});

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {}

  /** Liveness: the process answers. Checks no dependency, so a NATS outage does not get the gateway restarted. */
  @Get()
  @ApiOperation({ summary: 'Liveness' })
  @ApiResponse({ status: 200, standardSchema: Health })
  live(): z.output<typeof Health> {
    return { status: 'ok' };
  }

  /** Readiness: the gateway has no database, so NATS is its one dependency. */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: NATS reachable' })
  @ApiResponse({ status: 200, standardSchema: Readiness })
  @ApiErrors(503)
  async ready(): Promise<z.output<typeof Readiness>> {
    try {
      await this.pubsub.ping(READY_TIMEOUT_MS);
    } catch {
      throw new UnavailableError('NATS is unreachable', { status: 'unavailable', checks: { nats: 'down' } });
    }
    return { status: 'ok', checks: { nats: 'up' } };
  }
}
