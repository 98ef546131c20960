import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { Database } from '@mediamagic/database';
import { PubSub } from '@mediamagic/pubsub';
import { observeOutbox } from './outbox-metrics';
import { OUTBOX_SOURCE, type OutboxEntry, type OutboxSource } from './outbox-source';

export interface OutboxRelayOptions {
  /** Entries claimed and published at once (default 100). */
  batchSize?: number;
  /**
   * How long a claim keeps other relays off an entry (default 10 s). A crashed relay's entries wait this
   * long, and a deployment's later events wait behind them, so it is short. A publish that outlasts it
   * (the broker away) may be repeated by another relay: JetStream drops the repeat by its event id.
   */
  leaseSeconds?: number;
  /**
   * A safety net under the NOTIFY wake-up (default 1 s): catches a notification lost while the listening
   * connection was down, another instance's expired lease, and retries after a failure.
   */
  pollMs?: number;
  /** How long the stop may spend publishing what is left (default 10 s); the rest waits for the next start. */
  flushTimeoutMs?: number;
}

export const OUTBOX_RELAY_OPTIONS = Symbol('OutboxRelayOptions');

/**
 * Publishes what the outbox holds, oldest first, with the event id as JetStream's message id (a
 * republish is stored once), then marks it published. Woken by NOTIFY when a writer commits, so an
 * idle platform publishes in milliseconds; catches up a backlog at start; on stop, publishes what is
 * left after the last handler finished, before the connection closes.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap {
  private readonly logger = new Logger('OutboxRelay');
  private readonly batchSize: number;
  private readonly leaseSeconds: number;
  private readonly pollMs: number;
  private readonly flushTimeoutMs: number;
  private running?: Promise<void>;
  private wanted = false;
  private stopped = false;
  private failing = false;
  private timer?: NodeJS.Timeout;
  private unlisten?: () => Promise<void>;
  private unobserve?: () => void;

  constructor(
    @Inject(OUTBOX_SOURCE) private readonly source: OutboxSource,
    @Inject(PubSub) private readonly pubsub: PubSub,
    @Inject(Database) private readonly db: Database,
    @Inject(OUTBOX_RELAY_OPTIONS) options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.leaseSeconds = options.leaseSeconds ?? 10;
    this.pollMs = options.pollMs ?? 1_000;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 10_000;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.pubsub.onDrained(() => this.stop());
    this.unobserve = observeOutbox(this.source);
    this.unlisten = await this.db.listen(this.source.channel, () => this.wake());
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.wake();
  }

  /** Publishes everything there is; a wake-up during a run starts another run right after it. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wanted = true;
      return;
    }
    // Outside whatever woke it (a NOTIFY arrives inside the writing request's span): each publish joins the trace
    // stored with its own entry instead, and the polling makes no spans.
    this.running = context
      .with(ROOT_CONTEXT, () => this.relay())
      .finally(() => {
        this.running = undefined;
        if (this.wanted) {
          this.wanted = false;
          this.wake();
        }
      });
  }

  /** Wakes no more, then publishes what it can claim, for at most flushTimeoutMs; the rest goes at the next start. */
  private async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unobserve?.();
    const lastRun = async () => {
      await this.unlisten?.();
      await this.running;
      await this.relay();
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.flushTimeoutMs)));
    const outcome = await Promise.race([lastRun(), timedOut]).finally(() => clearTimeout(timer));
    if (outcome === 'timeout') this.logger.warn(`outbox not empty after ${this.flushTimeoutMs} ms: the rest is published at the next start`);
  }

  private async relay(): Promise<void> {
    try {
      for (;;) {
        const batch = await this.source.claim(this.batchSize, this.leaseSeconds);
        if (batch.length === 0) break;
        if (!(await this.publish(batch))) return;
        if (batch.length < this.batchSize) break;
      }
      if (this.failing) this.logger.log('outbox relay publishing again');
      this.failing = false;
    } catch (error) {
      // The database is away: the poll tries again; one line per outage, not one per second.
      if (!this.failing) this.logger.error(`outbox relay paused: ${(error as Error).message}`);
      this.failing = true;
    }
  }

  /**
   * Publishes in order (nats.js pipelines them on one connection); false when some could not be. Only
   * the run before the first failure counts as published: the rest goes again, after it, in order
   * (a repeat of one that did arrive is dropped by JetStream by its id).
   */
  private async publish(batch: OutboxEntry[]): Promise<boolean> {
    const results = await Promise.allSettled(batch.map((entry) => this.pubsub.publish(entry.envelope, { delivery: 'at-least-once' })));
    const firstFailure = results.findIndex((result) => result.status === 'rejected');
    const inOrder = firstFailure === -1 ? batch.length : firstFailure;
    const published = batch.slice(0, inOrder).map((entry) => entry.key);
    const failed = batch.slice(inOrder).map((entry) => entry.key);
    if (published.length > 0) await this.source.published(published);
    if (failed.length === 0) return true;
    await this.source.release(failed);
    const reason = (results[firstFailure] as PromiseRejectedResult).reason as Error;
    if (!this.failing) this.logger.error(`outbox relay: ${failed.length} event(s) not published, retrying: ${reason.message}`);
    this.failing = true;
    return false;
  }
}
