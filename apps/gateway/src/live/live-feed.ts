import { Logger } from '@nestjs/common';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { DeploymentProgress } from '@mediamagic/contracts';
import { UnavailableError } from '@mediamagic/errors';
import { inboxPrefixOf } from '@mediamagic/pubsub/nats';
import type { LiveClient } from './live-client';
import { DEPLOYMENT_STREAM, liveEventOf, type RawEvent } from './live-event';
import type { LiveHub } from './live-hub';

export interface LiveFeedOptions {
  servers: string[];
  user?: string;
  pass?: string;
}

interface Feed {
  connection: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  messages: ConsumerMessages;
  progress: Subscription;
}

// A feed that cannot start (no broker, no stream yet) answers its client 503 within this time.
const START_TIMEOUT_MS = 5_000;

/**
 * What the gateway process reads for all its live streams, once: an ordered consumer on the DEPLOYMENT stream (no
 * durable state on the broker, starting after the stream's last event; the stream stores the deployment events only,
 * so no filter, which nats-server before 2.10 could not combine with a named consumer) and a core subscription to the progress
 * reports, both handed to the hub. It starts with the first live stream, so a gateway nobody watches reads nothing.
 * The ordered consumer recreates itself after a gap or a broker restart, from the last sequence it delivered.
 */
export class LiveFeed {
  private readonly logger = new Logger('LiveFeed');
  private feed: Promise<Feed> | undefined;
  private closed = false;

  constructor(
    private readonly options: LiveFeedOptions,
    private readonly hub: LiveHub,
  ) {}

  /** Starts the feed if it is not running; an UnavailableError (503) when the broker or the stream is not there. */
  async ready(): Promise<void> {
    if (this.closed) throw new UnavailableError('the gateway is stopping');
    this.feed ??= this.start().catch((error: unknown) => {
      this.feed = undefined;
      this.logger.warn(`the live feed could not start: ${(error as Error).message}`);
      throw new UnavailableError('live updates are not available now; try again later');
    });
    await this.feed;
  }

  /**
   * Sends `client` the events of its owner that the stream kept after `afterSeq`, reading no faster than the client
   * takes them, up to the stream's last event when it began; then the events the hub held meanwhile. From there the
   * shared feed carries on: it already delivered to the hub everything after that last event, or will.
   */
  async resume(client: LiveClient, afterSeq: number): Promise<void> {
    const { js, jsm } = await this.feed!;
    const state = (await jsm.streams.info(DEPLOYMENT_STREAM)).state;
    if (state.messages > 0 && state.last_seq > afterSeq) {
      const consumer = await js.consumers.get(DEPLOYMENT_STREAM, { opt_start_seq: afterSeq + 1 });
      let done = false;
      while (!done && !client.closed) {
        let read = 0;
        for await (const message of await consumer.fetch({ max_messages: 256, expires: 2_000 })) {
          read++;
          const event = this.eventOf(message);
          if (event?.ownerId === client.ownerId) client.replayed(event);
          // The last event of when it began, or the stream's end if that one went (retention) meanwhile.
          done = message.seq >= state.last_seq || message.info.pending === 0 || client.closed;
          if (done) break;
          await client.whenWritable();
        }
        if (read === 0) break;
      }
    }
    client.caughtUp();
  }

  async close(): Promise<void> {
    this.closed = true;
    const feed = await this.feed?.catch(() => undefined);
    if (!feed) return;
    feed.progress.unsubscribe();
    await feed.messages.close();
    await feed.connection.close();
  }

  private async start(): Promise<Feed> {
    const { servers, user, pass } = this.options;
    // Its own connection, as the limits' KV bucket has: PubSub keeps the services' consumers to itself.
    const connection = await connect({
      servers,
      user,
      pass,
      name: 'gateway live',
      // The gateway's own inbox prefix: its NATS user may receive replies and pulled messages only there.
      inboxPrefix: inboxPrefixOf('gateway'),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: START_TIMEOUT_MS,
    });
    try {
      const js = jetstream(connection);
      const jsm = await jetstreamManager(connection);
      const progress = connection.subscribe(DeploymentProgress.subject, {
        callback: (error, message) => {
          if (!error) this.dispatch(message);
        },
      });
      // From the sequence after the last one rather than "new": a consumer recreated before its first event would
      // otherwise start again from the stream's first event, and send history as if it were live.
      const lastSeq = (await jsm.streams.info(DEPLOYMENT_STREAM)).state.last_seq;
      const consumer = await js.consumers.get(DEPLOYMENT_STREAM, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: lastSeq + 1,
      });
      const messages = await consumer.consume({ max_messages: 1_000, callback: (message) => this.dispatch(message) });
      if (this.closed) await connection.close();
      return { connection, js, jsm, messages, progress };
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  private dispatch(message: RawEvent): void {
    const event = this.eventOf(message);
    if (event) this.hub.dispatch(event);
  }

  private eventOf(message: RawEvent) {
    const event = liveEventOf(message);
    if (!(event instanceof Error)) return event;
    this.logger.warn(`skipped a message on ${message.subject}: ${event.message}`);
    return undefined;
  }
}
