import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { createHash } from 'node:crypto';
import { connect, nanos, type Msg, type MsgHdrs, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import { Limiter } from '../limiter';
import type { Delivery, Envelope } from '../message';
import { RemoteError, RequestTimeoutError } from '../errors';
import { subjectMatches } from '../subject';
import type { ConsumerSpec, Processor, Responder, Subscription, Transport } from '../transport';
import { encodedHeaders, readHeaders } from './headers';
import { JetStreamSubscription } from './jetstream-subscription';
import { isConsumerAlreadyExists, isNoResponders, isStreamNotFound, isTimeout } from './nats-errors';
import { ensureStreams, type StreamSpec } from './streams';

export const DEFAULT_NATS_ADDR = 'nats://127.0.0.1:4222';

export interface NatsTransportOptions {
  /** One URL or a comma-separated list, as in `NATS_ADDR`. */
  servers?: string | string[];
  /** The connection's name, shown by the server's monitoring (the service name). */
  name: string;
  /** User and password when the server requires authorization (one NATS user per service). */
  user?: string;
  pass?: string;
  /** Streams to create or extend at connect. */
  streams?: readonly StreamSpec[];
  /** How long an at-least-once publish keeps trying while the broker is away (default 30 s). */
  publishTimeoutMs?: number;
  logger?: TransportLogger;
}

type TransportLogger = { log(message: string): void; warn(message: string): void; error(message: string): void };

/** Core NATS for at-most-once and request/reply, JetStream for at-least-once. */
export class NatsTransport implements Transport {
  private readonly interruptionListeners: Array<() => void> = [];
  /** At-most-once publishes waiting for the end of this event-loop turn (see `publish`). */
  private readonly outbox: Array<[string, Uint8Array, MsgHdrs]> = [];

  private constructor(
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly publishTimeoutMs: number,
    private readonly logger: TransportLogger,
    private readonly streams: readonly StreamSpec[],
  ) {}

  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    const servers = parseServers(options.servers ?? DEFAULT_NATS_ADDR);
    const connection = await connect({
      servers,
      name: options.name,
      user: options.user,
      pass: options.pass,
      // A broker that goes away is waited for, however long: services must not give up on their own.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // nats.js builds two errors per request only to keep async stack traces: a sixth of a publish.
      noAsyncTraces: true,
    }).catch((error: unknown) => {
      throw new Error(`cannot connect to NATS at ${servers.map(redact).join(',')}: ${(error as Error).message}`);
    });
    const logger = options.logger ?? console;
    const jsm = await jetstreamManager(connection);
    const streams = options.streams ?? [];
    await ensureStreams(jsm, streams);
    const transport = new NatsTransport(connection, jetstream(connection), jsm, options.publishTimeoutMs ?? 30_000, logger, streams);
    void transport.watchStatus();
    return transport;
  }

  onInterrupted(listener: () => void): void {
    this.interruptionListeners.push(listener);
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect') this.logger.warn(`NATS disconnected from ${redact(String(status.server))}, reconnecting`);
      else if (status.type === 'reconnect') this.logger.log(`NATS reconnected to ${redact(String(status.server))}`);
      // A permissions violation, for one: without this line a subject missing from the service's NATS user goes unnoticed.
      else if (status.type === 'error') this.logger.error(`NATS: ${status.error.message}`);
      // Core NATS messages sent meanwhile (or dropped by the server for a slow reader) are gone.
      if (INTERRUPTIONS.has(status.type)) for (const listener of this.interruptionListeners) listener();
    }
  }

  async publish(envelope: Envelope, delivery: Delivery, dedupId = envelope.headers['ce-id']): Promise<void> {
    if (delivery === 'at-most-once') {
      const headers = encodedHeaders(envelope.headers);
      const size = envelope.data.length + (headers as unknown as { encode(): Uint8Array }).encode().length;
      // Checked now, because the write below happens after this promise has resolved. (While
      // reconnecting nats.js knows no server and so no limit; the server then refuses it.)
      const limit = this.connection.info?.max_payload;
      if (limit !== undefined && size > limit) {
        throw new Error(`message on ${envelope.subject} is ${size} bytes, over the server's limit of ${limit}`);
      }
      // nats.js writes to the socket on the next microtask, so each awaited publish would cost a
      // write of its own; gathering them until the event loop turns sends a burst in one write.
      if (this.outbox.push([envelope.subject, envelope.data, headers]) === 1) setImmediate(this.flushOutbox);
      return;
    }
    this.flushOutbox();
    // The message id rides in our own header block: cheaper than nats.js adding it, header by header.
    const headers = encodedHeaders(dedupId ? { ...envelope.headers, 'Nats-Msg-Id': dedupId } : envelope.headers);
    // Retrying is safe: the server drops a second copy with the same message id.
    const deadline = Date.now() + this.publishTimeoutMs;
    let healed = false;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(envelope.subject, envelope.data, { headers, timeout: 5_000 });
        return;
      } catch (error) {
        // A missing stream looks to nats.js like JetStream being off; a broker that is away does not.
        if (isNoResponders(error) && (await this.noStreamStores(envelope.subject))) {
          if (healed || !(await this.healStreamFor(envelope.subject))) {
            throw new Error(`no JetStream stream stores ${envelope.subject}: declare one in the streams option`);
          }
          healed = true;
          continue;
        }
        if (Date.now() > deadline || this.connection.isClosed()) {
          throw new Error(`publish to ${envelope.subject} not stored: ${(error as Error).message}`);
        }
        await delay(Math.min(1_000, 25 * 2 ** attempt));
      }
    }
  }

  /**
   * Whether a failed publish can never succeed: no stream covers the subject (the server answers
   * as if JetStream were off). Retrying is for a broker that is away, not for a missing stream.
   */
  private async noStreamStores(subject: string): Promise<boolean> {
    return this.jsm.streams.find(subject).then(
      () => false,
      (error: unknown) => isStreamNotFound(error),
    );
  }

  /** Resolves once the server knows the interest, so a publish right after is not missed. */
  private async registered(subscription: NatsSubscription): Promise<void> {
    try {
      await this.connection.flush();
    } catch (error) {
      subscription.unsubscribe();
      throw error;
    }
  }

  /**
   * Puts back a declared stream's subjects that another service's concurrent update dropped
   * (stream updates replace the whole subject list). False when no declared stream covers it.
   */
  private async healStreamFor(subject: string): Promise<boolean> {
    const specs = this.streams.filter((spec) => spec.subjects.some((pattern) => subjectMatches(pattern, subject)));
    if (specs.length === 0) return false;
    await ensureStreams(this.jsm, specs);
    return true;
  }

  private readonly flushOutbox = (): void => {
    for (const [subject, data, headers] of this.outbox.splice(0)) {
      try {
        this.connection.publish(subject, data, { headers });
      } catch {
        // Only a closed connection refuses a publish; at-most-once means this one is gone.
      }
    }
  };

  async subscribe(spec: ConsumerSpec, processor: Processor): Promise<Subscription> {
    return spec.delivery === 'at-most-once' ? this.subscribeCore(spec, processor) : this.subscribeJetStream(spec, processor);
  }

  private async subscribeCore(spec: ConsumerSpec, processor: Processor): Promise<Subscription> {
    const subscription = this.connection.subscribe(spec.subject, { queue: spec.group });
    const limiter = new Limiter(spec.concurrency);
    // The subscription's own iterator is the queue: waiting here costs nothing per message,
    // unlike a promise parked for each message that arrives while the handlers are busy.
    const loop = (async () => {
      for await (const message of subscription) {
        if (!limiter.tryAcquire()) await limiter.acquire();
        void processor({ subject: message.subject, data: message.data, headers: readHeaders(message), attempt: 1 }).finally(
          () => limiter.release(),
        );
      }
    })().catch((error: unknown) => this.logger.error(`subscription to ${spec.subject} stopped: ${(error as Error).message}`));
    await this.registered(subscription);
    return {
      subject: spec.subject,
      group: spec.group,
      close: async () => {
        if (!subscription.isClosed()) await subscription.drain();
        await loop;
        await limiter.drain();
      },
    };
  }

  private async subscribeJetStream(spec: ConsumerSpec, processor: Processor): Promise<Subscription> {
    const find = () => this.jsm.streams.find(spec.subject);
    const stream = await find()
      .catch(async () => ((await this.healStreamFor(spec.subject)) ? find() : Promise.reject()))
      .catch(() => {
        throw new Error(`no JetStream stream stores ${spec.subject}: declare one in the PubSub streams option`);
      });
    const durable = durableName(spec.group, spec.subject);
    const config: Partial<ConsumerConfig> = {
      durable_name: durable,
      filter_subject: spec.subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: spec.from === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      // The library decides when to give up (and dead-letters with the reason); the server never drops silently.
      max_deliver: -1,
      ack_wait: nanos(spec.ackWaitMs),
      max_ack_pending: 10_000,
    };
    await this.jsm.consumers.add(stream, config).catch(async (error: unknown) => {
      if (!isConsumerAlreadyExists(error)) throw error;
      // Same group, new settings (a deploy changed the ack wait): update what may be updated.
      await this.jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    });
    const consumer = await this.js.consumers.get(stream, durable);
    return new JetStreamSubscription(consumer, spec, processor, this.logger).start();
  }

  async request(envelope: Envelope, timeoutMs: number): Promise<Envelope> {
    this.flushOutbox();
    try {
      const reply = await this.connection.request(envelope.subject, envelope.data, {
        timeout: timeoutMs,
        headers: encodedHeaders(envelope.headers),
      });
      return { subject: reply.subject, data: reply.data, headers: readHeaders(reply) };
    } catch (error) {
      if (isNoResponders(error)) {
        throw new RemoteError(503, `no service answers ${envelope.subject}`, 'NoResponders');
      }
      if (isTimeout(error)) {
        throw new RequestTimeoutError(envelope.subject, timeoutMs);
      }
      throw error;
    }
  }

  async respond(subject: string, group: string, responder: Responder): Promise<Subscription> {
    const inFlight = new Limiter(Number.MAX_SAFE_INTEGER);
    const answer = async (message: Msg) => {
      const reply = await responder({ subject: message.subject, data: message.data, headers: readHeaders(message) });
      try {
        message.respond(reply.data, { headers: encodedHeaders(reply.headers) });
      } catch (error) {
        // Too large for the server, say: the caller gets this error instead of a timeout.
        const failure = JSON.stringify({ statusCode: 500, message: `reply not sent: ${(error as Error).message}` });
        message.respond(failure, { headers: encodedHeaders({ 'content-type': 'application/json', 'reply-status': '500' }) });
      }
    };
    const subscription = this.connection.subscribe(subject, {
      queue: group,
      callback: (error, message) => {
        if (error) return;
        inFlight.run(() => answer(message)).catch((failure: unknown) => this.logger.error(`reply on ${subject} failed: ${(failure as Error).message}`));
      },
    });
    await this.registered(subscription);
    return {
      subject,
      group,
      close: async () => {
        if (!subscription.isClosed()) await subscription.drain();
        await inFlight.idle();
      },
    };
  }

  async ping(): Promise<void> {
    // While reconnecting nats.js queues the ping until a server answers, so a readiness check would hang.
    if (this.connection.isClosed() || this.connection.isDraining()) throw new Error('NATS connection is closed');
    await this.connection.rtt();
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    this.flushOutbox();
    await this.connection.drain();
  }
}

/**
 * One durable consumer per group and subject filter. Names may not contain `.`, `*` or `>`; the
 * readable part alone could collide (`a.b` and `a_b`), so a hash of the subject makes it unique.
 */
export function durableName(group: string, subject: string): string {
  const readable = subject.replaceAll('.', '_').replaceAll('*', 'any').replaceAll('>', 'all');
  return `${group}__${readable}_${createHash('sha256').update(subject).digest('hex').slice(0, 8)}`;
}

export function parseServers(servers: string | string[]): string[] {
  const list = (Array.isArray(servers) ? servers : servers.split(',')).map((server) => server.trim()).filter(Boolean);
  if (list.length === 0) throw new Error('NATS_ADDR is empty');
  for (const server of list) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+(:\d+)?\/?$/.test(server) && !/^[^\s:/]+:\d+$/.test(server)) {
      throw new Error(`NATS_ADDR has an invalid server URL: "${redact(server)}"`);
    }
  }
  return list;
}

/** Credentials embedded in a URL never reach a log: everything up to the last `@` goes. */
function redact(url: string): string {
  return url.replace(/\/\/.*@/, '//***@');
}

const INTERRUPTIONS = new Set<string>(['disconnect', 'reconnect', 'staleConnection', 'slowConsumer']);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
