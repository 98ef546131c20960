import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DeploymentProgress } from '@mediamagic/contracts';
import { PubSub } from '@mediamagic/pubsub';
import type { StoredEvent } from '../deployment/deployment-event';
import { DeploymentEventStore } from '../deployment/deployment-event-store';
import { nextRolloutEvent, provisioningProgress } from './rollout';

/** How the rollout is simulated; from PROVISIONING_DELAY_MS. */
export class RolloutSettings {
  constructor(readonly provisioningDelayMs: number) {}
}

// After an error (the database briefly unreachable), the step is tried again this much later.
const RETRY_MS = 5_000;

/**
 * Moves each new deployment through provisioning: appends provisioning-started, reports progress at each
 * quarter of the delay (deployment.progress, at most once: never stored, a late timer skips a quarter),
 * then, once the delay has passed since provisioning-started, appends succeeded or failed. All state is
 * in the event store, so after a restart the worker resumes every unfinished rollout; several replicas doing so is safe because an
 * append that loses the race re-decides on the newer history.
 */
@Injectable()
export class RolloutWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RolloutWorker.name);
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly steps = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    @Inject(DeploymentEventStore) private readonly store: DeploymentEventStore,
    @Inject(RolloutSettings) private readonly settings: RolloutSettings,
    @Inject(PubSub) private readonly pubsub: PubSub,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const unfinished = await this.store.unfinished();
    if (unfinished.length) this.logger.log(`resuming the rollout of ${unfinished.length} deployment(s)`);
    for (const deploymentId of unfinished) this.start(deploymentId);
  }

  /** Starts (or resumes) the rollout of a deployment, in the background; `history` when the caller has it at hand. */
  start(deploymentId: string, history?: readonly StoredEvent[]): void {
    this.schedule(deploymentId, 0, history);
  }

  /** One step of the rollout as of `now`; schedules the next one. Public so a test can play a timer firing. */
  async advance(deploymentId: string, now = new Date(), known?: readonly StoredEvent[]): Promise<void> {
    try {
      const history = known ?? (await this.store.history(deploymentId));
      const [created] = history;
      if (!created) return;
      // The rollout's events belong to the request that created the deployment, even after a restart:
      // they are stored, and published by the relay, with the context stored with its creation.
      const next = (events: readonly StoredEvent[]) => nextRolloutEvent(events, now, this.settings.provisioningDelayMs);
      const { history: after } = await this.store.append(deploymentId, created.context, next, history);
      const provisioning = provisioningProgress(after, now, this.settings.provisioningDelayMs);
      if (!provisioning) return;
      if (provisioning.progress !== null) {
        const progress = { deploymentId, ownerId: created.ownerId, progress: provisioning.progress, at: now.toISOString() };
        // Non-crucial: a report that cannot go out is not worth holding up the rollout for.
        await this.pubsub.emit(DeploymentProgress, progress, { context: created.context }).catch((error: unknown) => {
          this.logger.warn(`progress of deployment ${deploymentId} not reported: ${(error as Error).message}`);
        });
      }
      this.schedule(deploymentId, provisioning.nextAt.getTime() - Date.now());
    } catch (error) {
      this.logger.error(`rollout of deployment ${deploymentId} failed, retrying in ${RETRY_MS} ms: ${(error as Error).message}`);
      this.schedule(deploymentId, RETRY_MS);
    }
  }

  // Nest calls this before the database and the broker close: no step may start after it, none is left half-done.
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled(this.steps);
  }

  private schedule(deploymentId: string, delayMs: number, history?: readonly StoredEvent[]): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(deploymentId));
    const timer = setTimeout(
      () => {
        this.timers.delete(deploymentId);
        const step = this.advance(deploymentId, new Date(), history).finally(() => this.steps.delete(step));
        this.steps.add(step);
      },
      Math.max(0, delayMs),
    );
    this.timers.set(deploymentId, timer);
  }
}
