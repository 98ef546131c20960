import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { ConsumerSpec, Processor, Subscription } from '../transport';
import type { TransportLogger } from './connection';
import { JetStreamSubscription } from './jetstream-subscription';
import { isConsumerNotFound } from './nats-errors';
import { replayConsumerName, replayUntilOf } from './replay-consumer';

/** How often a subscription looks for a replay of its group: one consumer info request per subscription each time. */
const POLL_MS = 2_000;

/**
 * A group's subscription, which also reads a replay of its group while one is under way: the replay tool
 * creates a second consumer beside the group's own one (replay-consumer.ts), this finds it within
 * POLL_MS, handles what it delivers as replayed, and stops reading once the tool deleted it. The
 * group's own consumer is never touched, so its position, retries and new events go on as before.
 */
export class ReplayableSubscription implements Subscription {
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private replay?: { readonly created: string; readonly subscription: JetStreamSubscription };
  private closed = false;

  constructor(
    private readonly main: JetStreamSubscription,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly durable: string,
    private readonly spec: ConsumerSpec,
    private readonly processor: Processor,
    private readonly logger: TransportLogger,
  ) {}

  get subject(): string {
    return this.main.subject;
  }

  get group(): string {
    return this.main.group;
  }

  start(): this {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
    void this.poll();
    return this;
  }

  private poll(): Promise<void> {
    // A failed look (the broker away) is tried again at the next poll; the connection's own watcher reports outages.
    this.polling ??= this.look()
      .catch(() => undefined)
      .finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async look(): Promise<void> {
    const name = replayConsumerName(this.durable);
    const info = await this.jsm.consumers.info(this.stream, name).catch((error: unknown) => {
      if (isConsumerNotFound(error)) return undefined;
      throw error;
    });
    const until = replayUntilOf(info?.config.description);
    // Finished (the tool deleted it), or replaced by a newer replay: stop reading the old one.
    if (this.replay && this.replay.created !== info?.created) {
      const { subscription } = this.replay;
      this.replay = undefined;
      await subscription.close();
      this.logger.log(`replay of ${this.spec.group} on ${this.spec.subject} ended`);
    }
    if (!info || until === undefined || this.replay || this.closed) return;
    const consumer = await this.js.consumers.get(this.stream, name);
    if (this.closed) return;
    const subscription = await new JetStreamSubscription(consumer, this.spec, this.processor, this.logger, undefined, until).start();
    // Closed while it started: close() did not see it, so it is stopped here.
    if (this.closed) return subscription.close();
    this.replay = { created: info.created, subscription };
    this.logger.log(`replaying ${this.spec.subject} to ${this.spec.group} up to stream sequence ${until}`);
  }

  /** Not waiting for a look in progress: it may hang on an absent broker, and it stops what it started once it sees `closed`. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all([this.main.close(), this.replay?.subscription.close()]);
  }
}
