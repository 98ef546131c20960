import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  CreateDeployment,
  DeleteDeployment,
  DeploymentView,
  GetDeployment,
  GetDeploymentEvents,
  GetUser,
  ListDeployments,
  NewDeployment,
} from '@mediamagic/contracts';
import { ForbiddenError } from '@mediamagic/errors';
import { PubSub, type MessageContext, type ResponseOf } from '@mediamagic/pubsub';
import { z } from 'zod';
import { BearerAuthGuard } from '../auth/bearer-auth.guard';
import type { Caller } from '../auth/access-tokens';
import { CallerId, CurrentCaller } from '../auth/caller-id.decorator';
import { ApiErrors, ApiIdempotencyKey } from '../http/api-docs';
import { RequestContext } from '../http/request-context.decorator';
import { DeploymentViews } from './deployment-views';

const DeploymentId = z.uuid();

const Page = z.strictObject({
  limit: z.coerce.number<string>().int().min(1).max(100).optional().meta({ description: 'at most this many (default 20)' }),
  cursor: z.string().min(1).max(200).optional().meta({ description: 'the nextCursor of the previous page' }),
});

/** Rewind: the deployment right after its event `version`, or as it was at time `at`. */
const Rewind = z
  .strictObject({
    version: z.coerce.number<string>().int().positive().max(1_000_000).optional().meta({ description: 'the state right after this event' }),
    at: z.iso.datetime({ offset: true }).optional().meta({ description: 'the state at this time (ISO-8601)' }),
  })
  .refine((rewind) => rewind.version === undefined || rewind.at === undefined, 'give version or at, not both');

/** Every route acts for the caller: the services scope each query by owner, so another's deployment is a 404. */
@ApiTags('deployments')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(BearerAuthGuard)
@Controller('deployments')
export class DeploymentsController {
  constructor(
    @Inject(PubSub) private readonly pubsub: PubSub,
    @Inject(DeploymentViews) private readonly views: DeploymentViews,
  ) {}

  @Post()
  @ApiIdempotencyKey()
  @HttpCode(202)
  @ApiOperation({ summary: 'Create a deployment; it is provisioned in the background (status pending)' })
  @ApiResponse({ status: 202, standardSchema: DeploymentView })
  @ApiErrors(400, 403, 413)
  async create(
    @CurrentCaller() caller: Caller,
    @Body({ schema: NewDeployment }) deployment: z.output<typeof NewDeployment>,
    @RequestContext() context: MessageContext,
  ): Promise<ResponseOf<typeof CreateDeployment>> {
    return this.pubsub.request(CreateDeployment, { ...deployment, owner: await this.verifiedOwner(caller, context) }, { context });
  }

  /** The token says so when the address was verified before login; otherwise user-service knows whether it is since. */
  private async verifiedOwner(caller: Caller, context: MessageContext): Promise<{ id: string; email: string }> {
    if (caller.verifiedEmail) return { id: caller.id, email: caller.verifiedEmail };
    const user = await this.pubsub.request(GetUser, { id: caller.id }, { context });
    if (!user.emailVerified) throw new ForbiddenError('verify your email address first');
    return { id: user.id, email: user.email };
  }

  @Get()
  @ApiOperation({ summary: "The caller's deployments, newest first, a page at a time" })
  @ApiResponse({ status: 200, standardSchema: ListDeployments.response })
  @ApiErrors(400)
  list(
    @CallerId() callerId: string,
    @Query({ schema: Page }) page: z.output<typeof Page>,
    @RequestContext() context: MessageContext,
  ): Promise<ResponseOf<typeof ListDeployments>> {
    return this.pubsub.request(ListDeployments, { ownerId: callerId, ...page }, { context });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One deployment with its current status, or rewound to a version or a time' })
  @ApiResponse({ status: 200, standardSchema: DeploymentView })
  @ApiErrors(400, 404)
  async get(
    @CallerId() callerId: string,
    @Param('id', { schema: DeploymentId }) id: string,
    @Query({ schema: Rewind }) rewind: z.output<typeof Rewind>,
    @RequestContext() context: MessageContext,
  ): Promise<ResponseOf<typeof GetDeployment>> {
    const ask = () => this.pubsub.request(GetDeployment, { ownerId: callerId, id, ...rewind }, { context });
    // The views hold the present only; the past is folded by deployment-service from its store.
    if (rewind.version !== undefined || rewind.at !== undefined) return ask();
    return this.views.get(callerId, id, ask);
  }

  @Get(':id/events')
  @ApiOperation({ summary: "The deployment's event history, oldest first" })
  @ApiResponse({ status: 200, standardSchema: GetDeploymentEvents.response })
  @ApiErrors(404)
  events(
    @CallerId() callerId: string,
    @Param('id', { schema: DeploymentId }) id: string,
    @RequestContext() context: MessageContext,
  ): Promise<ResponseOf<typeof GetDeploymentEvents>> {
    return this.pubsub.request(GetDeploymentEvents, { ownerId: callerId, id }, { context });
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete a deployment (deleting it again changes nothing)' })
  @ApiResponse({ status: 202, standardSchema: DeploymentView })
  @ApiErrors(404)
  async delete(
    @CallerId() callerId: string,
    @Param('id', { schema: DeploymentId }) id: string,
    @RequestContext() context: MessageContext,
  ): Promise<ResponseOf<typeof DeleteDeployment>> {
    return this.views.remember(await this.pubsub.request(DeleteDeployment, { ownerId: callerId, id }, { context }));
  }
}
