import type { OutgoingHttpHeaders } from 'node:http';
import { Controller, Get, Headers, Inject, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { UnavailableError } from '@mediamagic/errors';
import type { FastifyReply } from 'fastify';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import { CallerId } from '../auth/caller-id.decorator';
import { ApiErrors } from '../http/api-docs';
import { tooManyRequests } from '../limits/too-many-requests';
import type { LiveSink } from './live-client';
import { seqOfCursor } from './live-event';
import { LiveFeed } from './live-feed';
import { LiveHub } from './live-hub';

// A client that lost the connection tries again after this long (EventSource's `retry` field).
const RETRY_MS = 1_000;
/** Open streams per user on one gateway: a browser's tabs, a few devices, with room to spare. */
export const LIVE_STREAMS_PER_CALLER = 32;

const DESCRIPTION = `Server-Sent Events of the caller's deployments, and nobody else's. Each change of a deployment is an event with an
\`id:\`, its subject as \`event:\` and \`data: {"deploymentId","type","version","status","time", "name", "model", ...}\`
(\`deployment.created\`, \`deployment.provisioning-started\`, \`deployment.succeeded\`, \`deployment.failed\`,
\`deployment.deleted\`); while a deployment provisions, \`event: deployment.progress\` with \`data: {"deploymentId","progress"}\`
(0 to 1) and no id: these are not kept, and a missed one is replaced by the next. A comment line (\`: keep-alive\`) comes
every 15 s. A client that reconnects with the \`Last-Event-ID\` header gets what it missed (as far back as the stream keeps
events), then the live events. A client that does not keep up is disconnected, and loses nothing if it reconnects so.
At most 32 streams per user at once (429 beyond). The stream notifies: \`GET /deployments/{id}\` gives the whole state.`;

/** GET /deployments/live. Registered before DeploymentsController, so that `live` is never read as an id. */
@ApiTags('deployments')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(BearerAuthGuard)
@Controller('deployments')
export class LiveController {
  constructor(
    @Inject(LiveHub) private readonly hub: LiveHub,
    @Inject(LiveFeed) private readonly feed: LiveFeed,
  ) {}

  @Get('live')
  @ApiOperation({ summary: "Live updates of the caller's deployments (Server-Sent Events)", description: DESCRIPTION })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'the last `id:` received: resume after it' })
  @ApiResponse({ status: 200, description: 'a text/event-stream that stays open', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors(400, 429, 503)
  async live(@CallerId() callerId: string, @Headers('last-event-id') lastEventId: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const resumeAfter = lastEventId === undefined ? undefined : seqOfCursor(lastEventId);
    if (this.hub.stopping) throw new UnavailableError('the gateway is stopping; connect again');
    await this.feed.ready();
    // A stream costs a connection and a queue: one caller cannot take the gateway's memory by opening thousands.
    // Counted after the last await, so that requests arriving together cannot all pass.
    if (this.hub.countOf(callerId) >= LIVE_STREAMS_PER_CALLER) {
      throw tooManyRequests(`at most ${LIVE_STREAMS_PER_CALLER} live streams at once per user`, RETRY_MS / 1000);
    }
    // From here the answer is the stream: Fastify sends nothing more, and the headers it gathered go out now.
    void reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies that buffer answers (nginx) would hold the events back.
      'x-accel-buffering': 'no',
    });
    response.write(`retry: ${RETRY_MS}\n\n`);
    const sink: LiveSink = {
      write: (chunk) => response.write(chunk),
      onDrain: (listener) => response.on('drain', listener),
      end: () => response.end(),
      destroy: () => response.destroy(),
    };
    const client = this.hub.open(callerId, sink, resumeAfter);
    response.on('close', () => client.close('gone'));
    // A connection that broke mid-write: the client is gone, and an unheard error must not end the process.
    response.on('error', () => client.close('gone'));
    if (resumeAfter !== undefined) {
      // The headers are out: a resume that fails drops the connection, and the client comes back with its id.
      this.feed.resume(client, resumeAfter).catch(() => client.close('failed'));
    }
  }
}
