import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { Limiter } from '../limiter';
import { ACK, type ConsumerSpec, type Outcome, type Processor, type Subscription } from '../transport';
import { readHeaders } from './headers';

/**
 * How long a pull request lives. The server keeps sending to a pull request until it expires, even
 * after the subscriber stopped listening; messages handed back at close are delayed this long so
 * they are not sent to our dead pull but to a live subscriber.
 */
const PULL_EXPIRES_MS = 5_000;

/**
 * Pulls from a durable consumer and settles every message after the library processed it:
 * ack, nak with a delay (the backoff), or term once it is in the dead letters.
 */
export class JetStreamSubscription implements Subscription {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private stopping = false;
  private readonly limiter: Limiter;
  private readonly settlements: Array<() => void> = [];
  /** Taken from the client's buffer and not yet settled: these get progress reports. */
  private readonly inFlight = new Set<JsMsg>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly consumer: Consumer,
    private readonly spec: ConsumerSpec,
    private readonly processor: Processor,
    private readonly logger: { error(message: string): void },
    /** Told how each delivery was settled (deliveries.ts: what JetStream cannot tell per message). */
    private readonly settled: (message: JsMsg, outcome: Outcome) => void = () => undefined,
    /** Set on a replay consumer's subscription: the last stream sequence it replays (see replay-consumer.ts). */
    private readonly replayUntil?: number,
  ) {
    this.limiter = new Limiter(spec.concurrency);
  }

  get subject(): string {
    return this.spec.subject;
  }

  get group(): string {
    return this.spec.group;
  }

  async start(): Promise<this> {
    // A small buffer per subscriber keeps the work spread across a group's instances.
    // A small prefetch: messages waiting in the client's buffer get no progress reports, so the
    // fewer wait, the less a slow handler risks their ack wait; it also spreads work across a group.
    const messages = await this.consumer.consume({ max_messages: this.spec.concurrency * 2, expires: PULL_EXPIRES_MS });
    this.messages = messages;
    // A slow handler is not a dead one: tell the server, so it does not redeliver during the work.
    this.heartbeat = setInterval(
      () => {
        for (const message of this.inFlight) {
          try {
            message.working();
          } catch {
            // Disconnected: if the ack cannot reach the server either, it will redeliver.
          }
        }
      },
      Math.max(500, this.spec.ackWaitMs / 2),
    );
    this.heartbeat.unref();
    this.loop = (async () => {
      for await (const message of messages) {
        this.inFlight.add(message);
        if (!this.limiter.tryAcquire()) await this.limiter.acquire();
        if (this.stopping) {
          // Pulled but not started: hand it back sooner than the ack wait would.
          this.limiter.release();
          this.inFlight.delete(message);
          message.nak(PULL_EXPIRES_MS);
          continue;
        }
        void this.handle(message).finally(() => this.limiter.release());
      }
    })().catch((error: unknown) => this.logger.error(`consumer of ${this.spec.subject} (${this.spec.group}) stopped: ${(error as Error).message}`));
    return this;
  }

  private async handle(message: JsMsg): Promise<void> {
    let outcome: Outcome;
    const sequence = message.info.streamSequence;
    const until = this.replayUntil;
    const replayed = until !== undefined;
    try {
      // Published after the replay began: the group's own consumer delivers it, as usual.
      if (replayed && sequence > until) outcome = ACK;
      else
        outcome = await this.processor({
          subject: message.subject,
          data: message.data,
          headers: readHeaders(message),
          attempt: message.info.deliveryCount,
          sequence,
          replayed,
        });
    } catch {
      outcome = { kind: 'retry', delayMs: 1_000 };
    } finally {
      this.inFlight.delete(message);
    }
    this.settled(message, outcome);
    const settle = outcome.kind === 'ack' ? () => message.ack() : outcome.kind === 'retry' ? () => message.nak(outcome.delayMs) : () => message.term();
    // Like publishes, acks go out together at the end of the event-loop turn: one write, not one each.
    if (this.settlements.push(settle) === 1) setImmediate(this.flushSettlements);
  }

  private readonly flushSettlements = (): void => {
    for (const settle of this.settlements.splice(0)) {
      try {
        settle();
      } catch {
        // The connection closed under us: the server redelivers what was not acked.
      }
    }
  };

  async close(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.loop;
    await this.limiter.drain();
    clearInterval(this.heartbeat);
    this.flushSettlements();
  }
}
