import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  DEPLOYMENT_VERSION_HEADER,
  DeploymentDeleted,
  DeploymentFailed,
  DeploymentProvisioningStarted,
  DeploymentSucceeded,
  evolveDeployment,
  type Deployment,
  type DeploymentChange,
} from '@mediamagic/contracts';
import { PubSub, type EventSubscribeOptions, type Message, type PayloadOf } from '@mediamagic/pubsub';
import { OnEvent } from '@mediamagic/pubsub/nest';
import { BoundedMap } from '../support/bounded-map';

export const VIEWS_CAPACITY = 10_000;
/** However an event got lost (the last one of a deployment, which no later version reveals), a view is never older than this. */
export const VIEW_TTL_MS = 60_000;

/**
 * Every gateway process hears the events that change a held view as they are published (core NATS, its own
 * queue group): a cache that clears itself after an interruption needs no durable consumer.
 */
const LIVE: EventSubscribeOptions = { delivery: 'at-most-once', group: `gateway.deployment-views.${randomUUID()}` };

/**
 * The gateway's copy of the deployments it was asked about: a projection of their events, folded with the
 * same fold as deployment-service's (evolveDeployment, libs/contracts), so that GET /deployments/:id mostly
 * needs no request to deployment-service. Every change of a deployment is an event carrying its version
 * (the `deployment-version` header), so a view takes event n+1 onto version n, and:
 * - a version further ahead means one was missed: the view is dropped, the next GET asks again;
 * - an answer is not held when a newer version was heard while it was being asked for;
 * - everything is dropped when the broker connection is interrupted, and a view expires after VIEW_TTL_MS.
 */
@Injectable()
export class DeploymentViews {
  private readonly views = new BoundedMap<string, { view: Deployment; expiresAt: number }>(VIEWS_CAPACITY);
  /** Deployments being asked for: how many askers, and the newest version heard meanwhile. */
  private readonly asking = new Map<string, { askers: number; heard: number }>();

  constructor(@Inject(PubSub) pubsub: PubSub) {
    pubsub.onInterrupted(() => this.views.clear());
  }

  /** The caller's deployment: held, or asked of deployment-service with `ask` (and held when it may be). */
  async get(ownerId: string, id: string, ask: () => Promise<Deployment>): Promise<Deployment> {
    const held = this.held(id);
    // Another owner's deployment is deployment-service's to refuse, with its own 404.
    if (held?.view.ownerId === ownerId) return held.view;
    const asking = this.asking.get(id) ?? { askers: 0, heard: 0 };
    this.asking.set(id, asking);
    asking.askers++;
    try {
      const view = await ask();
      if (view.version >= asking.heard) this.remember(view);
      return view;
    } finally {
      if (--asking.askers === 0) this.asking.delete(id);
    }
  }

  /** Holds a view deployment-service answered with (a DELETE's too), unless an equal or newer version is held. */
  remember(view: Deployment): Deployment {
    const held = this.held(view.id);
    if (!held || view.version > held.view.version) this.views.put(view.id, { view, expiresAt: Date.now() + VIEW_TTL_MS });
    return view;
  }

  @OnEvent(DeploymentProvisioningStarted, LIVE)
  provisioningStarted(event: PayloadOf<typeof DeploymentProvisioningStarted>, message: Message): void {
    this.apply(event.deploymentId, message, (base) => ({ ...base, type: 'deployment.provisioning-started', time: event.startedAt }));
  }

  @OnEvent(DeploymentSucceeded, LIVE)
  succeeded(event: PayloadOf<typeof DeploymentSucceeded>, message: Message): void {
    this.apply(event.deploymentId, message, (base) => ({ ...base, type: 'deployment.succeeded', time: event.succeededAt }));
  }

  @OnEvent(DeploymentFailed, LIVE)
  failed(event: PayloadOf<typeof DeploymentFailed>, message: Message): void {
    this.apply(event.deploymentId, message, (base) => ({ ...base, type: 'deployment.failed', time: event.failedAt, reason: event.reason }));
  }

  @OnEvent(DeploymentDeleted, LIVE)
  deleted(event: PayloadOf<typeof DeploymentDeleted>, message: Message): void {
    this.apply(event.deploymentId, message, (base) => ({ ...base, type: 'deployment.deleted', time: event.deletedAt }));
  }

  // deployment.created is not heard: a view is held only after it was asked for, so after its creation.
  private apply(id: string, message: Message, change: (base: { version: number }) => DeploymentChange): void {
    const header = Number(message.headers[DEPLOYMENT_VERSION_HEADER]);
    // Published without its version (an older deployment-service): newer than anything, where it belongs unknown.
    const version = Number.isSafeInteger(header) && header > 0 ? header : Infinity;
    const asking = this.asking.get(id);
    if (asking && version > asking.heard) asking.heard = version;
    const held = this.held(id);
    if (!held || version <= held.view.version) return;
    if (version === held.view.version + 1) this.views.put(id, { view: evolveDeployment(held.view, change({ version })), expiresAt: held.expiresAt });
    else this.views.delete(id);
  }

  private held(id: string): { view: Deployment; expiresAt: number } | undefined {
    const held = this.views.get(id);
    if (!held || held.expiresAt >= Date.now()) return held;
    this.views.delete(id);
    return undefined;
  }
}
