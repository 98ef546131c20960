import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DeploymentCreated, DeploymentDeleted, DeploymentFailed, DeploymentSucceeded, type DeploymentView } from '@mediamagic/contracts';
import { OnEvent, PubSub, type EventSubscribeOptions, type PayloadOf } from '@mediamagic/pubsub';
import type { z } from 'zod';

type View = z.output<typeof DeploymentView>;

/** A deployment as last seen: its view, or only the time of its latest event while no view is known. */
interface Entry {
  view?: View;
  updatedAt: string;
  expiresAt: number;
}

export const VIEWS_CAPACITY = 10_000;
/** However an event got lost, a view is never older than this. */
export const VIEW_TTL_MS = 60_000;

/**
 * Every gateway process hears every deployment event as it is published (core NATS, its own queue group):
 * a cache that clears itself after an interruption needs no durable consumer.
 */
const LIVE: EventSubscribeOptions = { delivery: 'at-most-once', group: `gateway-views-${randomUUID()}` };

/**
 * The gateway's copy of the deployments it was asked about, kept current by the deployment events
 * (event-carried state transfer), so that GET /deployments/:id mostly needs no request to deployment-service.
 *
 * It is right only as long as every change of a held view arrives as an event, hence:
 * - a `pending` view is never held: deployment-service moves it to `provisioning` without publishing;
 * - a view from a reply is held only if it is newer than every event seen for that deployment (a reply
 *   may have left before an event that arrived first);
 * - everything is dropped when the broker connection is interrupted (events may have been missed), and
 *   a view expires after VIEW_TTL_MS in any case.
 * Times are the ISO timestamps of the deployment's events, so they compare as strings.
 */
@Injectable()
export class DeploymentViews {
  private readonly entries = new Map<string, Entry>();

  constructor(@Inject(PubSub) pubsub: PubSub) {
    pubsub.onInterrupted(() => this.entries.clear());
  }

  /** The caller's deployment as the gateway knows it; undefined when it must ask deployment-service. */
  get(ownerId: string, id: string): View | undefined {
    const entry = this.entries.get(id);
    if (!entry?.view || entry.expiresAt < Date.now()) return undefined;
    // Another owner's deployment is deployment-service's to refuse, with its own 404.
    return entry.view.ownerId === ownerId ? entry.view : undefined;
  }

  /** Keeps a view deployment-service answered with, when it may; returns it. */
  remember(view: View): View {
    const entry = this.entries.get(view.id);
    const newer = !entry || entry.expiresAt < Date.now() || view.updatedAt > entry.updatedAt;
    if (view.status !== 'pending' && newer) this.put(view.id, { view, updatedAt: view.updatedAt });
    return view;
  }

  @OnEvent(DeploymentCreated, LIVE)
  created(event: PayloadOf<typeof DeploymentCreated>): void {
    this.apply(event.deploymentId, event.createdAt, undefined);
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

  private apply(id: string, at: string, change: ((view: View) => View) | undefined): void {
    const entry = this.entries.get(id);
    if (entry && at < entry.updatedAt) return;
    const view = entry?.view && change ? { ...change(entry.view), updatedAt: at } : undefined;
    this.put(id, { view, updatedAt: at });
  }

  private put(id: string, entry: Omit<Entry, 'expiresAt'>): void {
    // Re-inserted, so the Map's order is the order of last change, and the oldest goes first.
    this.entries.delete(id);
    this.entries.set(id, { ...entry, expiresAt: Date.now() + VIEW_TTL_MS });
    if (this.entries.size > VIEWS_CAPACITY) this.entries.delete(this.entries.keys().next().value!);
  }
}
