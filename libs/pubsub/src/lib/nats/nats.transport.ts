import { jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Delivery, Envelope } from '../message';
import type { ConsumerBacklog, ConsumerSpec, Outcome, Processor, Responder, Subscription, Transport } from '../transport';
import { connectNats, watchStatus, type ConnectionOptions, type TransportLogger } from './connection';
import { coreSubscription } from './core-subscription';
import { reportDelivery } from './deliveries';
import { durableConsumer } from './durable-consumer';
import { whileJetStreamAway } from './jetstream-api';
import { JetStreamPublisher } from './jetstream-publisher';
import { JetStreamSubscription } from './jetstream-subscription';
import { ReplayableSubscription } from './replayable-subscription';
import { PublishBatch } from './publish-batch';
import { request, respond } from './request-reply';
import { DeclaredStreams, type StreamSpec } from './streams';

export { DEFAULT_NATS_ADDR } from './connection';

export interface NatsTransportOptions extends ConnectionOptions {
  /** Streams to create or extend at connect. */
  streams?: readonly StreamSpec[];
  /** How long an at-least-once publish keeps trying while the broker is away (default 30 s). */
  publishTimeoutMs?: number;
  logger?: TransportLogger;
}

/** Core NATS for at-most-once and request/reply, JetStream for at-least-once. */
export class NatsTransport implements Transport {
  private readonly interruptionListeners: Array<() => void> = [];
  private readonly batch: PublishBatch;
  private readonly publisher: JetStreamPublisher;
  /** The durable consumers subscribed now, with their group: what consumerBacklog asks the broker about. */
  private readonly consumers = new Map<Consumer, string>();

  private constructor(
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly streams: DeclaredStreams,
    publishTimeoutMs: number,
    private readonly logger: TransportLogger,
  ) {
    this.batch = new PublishBatch(connection);
    this.publisher = new JetStreamPublisher(connection, js, streams, publishTimeoutMs);
  }

  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    const logger = options.logger ?? console;
    const connection = await connectNats(options);
    const jsm = await whileJetStreamAway('answer', () => jetstreamManager(connection), logger);
    const streams = new DeclaredStreams(jsm, options.streams ?? []);
    await whileJetStreamAway('create the streams', () => streams.ensure(), logger);
    const transport = new NatsTransport(connection, jetstream(connection), jsm, streams, options.publishTimeoutMs ?? 30_000, logger);
    void watchStatus(connection, transport.logger, () => transport.interruptionListeners.forEach((listener) => listener()));
    return transport;
  }

  onInterrupted(listener: () => void): void {
    this.interruptionListeners.push(listener);
  }

  async publish(envelope: Envelope, delivery: Delivery, dedupId = envelope.headers['ce-id']): Promise<void> {
    if (delivery === 'at-most-once') return this.batch.add(envelope);
    // What was published before goes out first.
    this.batch.flush();
    await this.publisher.store(envelope, dedupId);
  }

  async subscribe(spec: ConsumerSpec, processor: Processor): Promise<Subscription> {
    if (spec.delivery === 'at-most-once') return coreSubscription(this.connection, spec, processor, this.logger);
    // Creating or updating it again is harmless, so the whole of it is tried again while JetStream is away (a failover).
    const consumer = await whileJetStreamAway(
      `create the consumer ${spec.group} of ${spec.subject}`,
      () => durableConsumer(this.js, this.jsm, this.streams, spec),
      this.logger,
    );
    const settled = (message: JsMsg, outcome: Outcome) => reportDelivery(this.connection, spec.group, message, outcome);
    const main = await new JetStreamSubscription(consumer, spec, processor, this.logger, settled).start();
    const { stream_name: stream, name } = await consumer.info(true);
    const subscription = await new ReplayableSubscription(main, this.js, this.jsm, stream, name, spec, processor, this.logger).start();
    this.consumers.set(consumer, spec.group);
    return {
      subject: subscription.subject,
      group: subscription.group,
      close: () => {
        this.consumers.delete(consumer);
        return subscription.close();
      },
    };
  }

  async consumerBacklog(): Promise<ConsumerBacklog[]> {
    const infos = await Promise.all([...this.consumers].map(async ([consumer, group]) => ({ group, info: await consumer.info(false) })));
    return infos.map(({ group, info }) => ({ stream: info.stream_name, group, pending: info.num_pending + info.num_ack_pending }));
  }

  async request(envelope: Envelope, timeoutMs: number): Promise<Envelope> {
    // What was published before goes out first.
    this.batch.flush();
    return request(this.connection, envelope, timeoutMs);
  }

  respond(subject: string, group: string, responder: Responder): Promise<Subscription> {
    return respond(this.connection, subject, group, responder, this.logger);
  }

  async ping(): Promise<void> {
    // While reconnecting nats.js queues the ping until a server answers, so a readiness check would hang.
    if (this.connection.isClosed() || this.connection.isDraining()) throw new Error('NATS connection is closed');
    await this.connection.rtt();
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    this.batch.flush();
    await this.connection.drain();
  }
}
