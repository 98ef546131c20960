import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DeploymentDeleted, DeploymentFailed, DeploymentSucceeded, type DeploymentView } from '@mediamagic/contracts';
import { PubSub, type EventSubscribeOptions, type PayloadOf } from '@mediamagic/pubsub';
import { OnEvent } from '@mediamagic/pubsub/nest';
import type { z } from 'zod';
import { BoundedMap } from '../support/bounded-map';

type View = z.output<typeof DeploymentView>;

export const VIEWS_CAPACITY = 10_000;
/** However an event got lost, a view is never older than this. */
export const VIEW_TTL_MS = 60_000;

/**
 * Every gateway process hears the events that change a held view as they are published (core NATS, its own
 * queue group): a cache that clears itself after an interruption needs no durable consumer.
 */
const LIVE: EventSubscribeOptions = { delivery: 'at-most-once', group: `gateway.deployment-views.${randomUUID()}` };

/**
 * The gateway's copy of the deployments it was asked about, kept current by the deployment events
 * (event-carried state transfer), so that GET /deployments/:id mostly needs no request to deployment-service.
 *
 * It is right only as long as every change of a held view arrives as an event, hence:
 * - a `pending` view is never held: deployment-service moves it to `provisioning` without publishing;
 * - an answer is not held when an event for that deployment was heard while it was being asked for (the
 *   answer may have left before the event);
 * - everything is dropped when the broker connection is interrupted (events may have been missed), and
 *   a view expires after VIEW_TTL_MS in any case.
 * Times are the ISO timestamps of the deployment's events, so they compare as strings.
 */
@Injectable()
export class DeploymentViews {
  private readonly views = new BoundedMap<string, { view: View; expiresAt: number }>(VIEWS_CAPACITY);
  /** Deployments being asked for: how many askers, and the time of the latest event heard meanwhile. */
  private readonly asking = new Map<string, { askers: number; heardAt: string }>();

  constructor(@Inject(PubSub) pubsub: PubSub) {
    pubsub.onInterrupted(() => this.views.clear());
  }

  /** The caller's deployment: held, or asked of deployment-service with `ask` (and held when it may be). */
  async get(ownerId: string, id: string, ask: () => Promise<View>): Promise<View> {
    const held = this.held(id);
    // Another owner's deployment is deployment-service's to refuse, with its own 404.
    if (held?.view.ownerId === ownerId) return held.view;
    const asking = this.asking.get(id) ?? { askers: 0, heardAt: '' };
    this.asking.set(id, asking);
    asking.askers++;
    try {
      const view = await ask();
      // An answer no newer than an event heard meanwhile may predate it (two events can share a millisecond).
      if (view.updatedAt > asking.heardAt) this.remember(view);
      return view;
    } finally {
      if (--asking.askers === 0) this.asking.delete(id);
    }
  }

  /** Holds a view deployment-service answered with (a DELETE's too), unless it is pending or older than the one held. */
  remember(view: View): View {
    const held = this.held(view.id);
    if (view.status !== 'pending' && (!held || view.updatedAt > held.view.updatedAt)) {
      this.views.put(view.id, { view, expiresAt: Date.now() + VIEW_TTL_MS });
    }
    return view;
  }

  @OnEvent(DeploymentSucceeded, LIVE)
  succeeded(event: PayloadOf<typeof DeploymentSucceeded>): void {
    this.apply(event.deploymentId, event.succeededAt, (view) => ({ ...view, status: 'running' }));
  }

  @OnEvent(DeploymentFailed, LIVE)
  failed(event: PayloadOf<typeof DeploymentFailed>): void {
    this.apply(event.deploymentId, event.failedAt, (view) => ({ ...view, status: 'failed', reason: event.reason }));
  }

  @OnEvent(DeploymentDeleted, LIVE)
  deleted(event: PayloadOf<typeof DeploymentDeleted>): void {
    this.apply(event.deploymentId, event.deletedAt, (view) => ({ ...view, status: 'deleted' }));
  }

  // deployment.created is not heard: it makes a pending deployment, which is never held.
  private apply(id: string, at: string, change: (view: View) => View): void {
    const asking = this.asking.get(id);
    if (asking && at > asking.heardAt) asking.heardAt = at;
    const held = this.held(id);
    // The event, not a later one that arrived first (a deployment's events are published in order, so it is rare).
    if (held && at >= held.view.updatedAt) this.views.put(id, { view: { ...change(held.view), updatedAt: at }, expiresAt: held.expiresAt });
  }

  private held(id: string): { view: View; expiresAt: number } | undefined {
    const held = this.views.get(id);
    if (!held || held.expiresAt >= Date.now()) return held;
    this.views.delete(id);
    return undefined;
  }
}
