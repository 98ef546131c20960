import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, errors, nanos, type MsgHdrs, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import { Limiter } from '../limiter';
import type { Delivery, Envelope } from '../message';
import { RemoteError, RequestTimeoutError } from '../errors';
import type { ConsumerSpec, Processor, Responder, Subscription, Transport } from '../transport';
import { encodedHeaders, fromNatsHeaders, readHeaders, toNatsHeaders } from './headers';
import { JetStreamSubscription } from './jetstream-subscription';
import { ensureStreams, type StreamSpec } from './streams';

export const DEFAULT_NATS_ADDR = 'nats://127.0.0.1:4222';

export interface NatsTransportOptions {
  /** One URL or a comma-separated list, as in `NATS_ADDR`. */
  servers?: string | string[];
  /** The connection's name, shown by the server's monitoring (the service name). */
  name: string;
  /** Streams to create or extend at connect. */
  streams?: readonly StreamSpec[];
  /** How long an at-least-once publish keeps trying while the broker is away (default 30 s). */
  publishTimeoutMs?: number;
  logger?: { log(message: string): void; warn(message: string): void };
}

/** Core NATS for at-most-once and request/reply, JetStream for at-least-once. */
export class NatsTransport implements Transport {
  /** At-most-once publishes waiting for the end of this event-loop turn (see `publish`). */
  private readonly outbox: Array<[string, Uint8Array, MsgHdrs]> = [];

  private constructor(
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly publishTimeoutMs: number,
  ) {}

  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    const servers = parseServers(options.servers ?? DEFAULT_NATS_ADDR);
    const connection = await connect({
      servers,
      name: options.name,
      // A broker that goes away is waited for, however long: services must not give up on their own.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // nats.js builds two errors per request only to keep async stack traces: a sixth of a publish.
      noAsyncTraces: true,
    }).catch((error: unknown) => {
      throw new Error(`cannot connect to NATS at ${servers.map(redact).join(',')}: ${(error as Error).message}`);
    });
    if (options.logger) void logStatus(connection, options.logger);
    const jsm = await jetstreamManager(connection);
    await ensureStreams(jsm, options.streams ?? []);
    return new NatsTransport(connection, jetstream(connection), jsm, options.publishTimeoutMs ?? 30_000);
  }

  async publish(envelope: Envelope, delivery: Delivery, dedupId = envelope.headers['ce-id']): Promise<void> {
    if (delivery === 'at-most-once') {
      // nats.js writes to the socket on the next microtask, so each awaited publish would cost a
      // write of its own; gathering them until the event loop turns sends a burst in one write.
      if (this.outbox.push([envelope.subject, envelope.data, encodedHeaders(envelope.headers)]) === 1) setImmediate(this.flushOutbox);
      return;
    }
    this.flushOutbox();
    const headers = toNatsHeaders(envelope.headers);
    // Retrying is safe: the server drops a second copy with the same message id.
    const deadline = Date.now() + this.publishTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(envelope.subject, envelope.data, { msgID: dedupId, headers, timeout: 5_000 });
        return;
      } catch (error) {
        if (Date.now() > deadline || this.connection.isClosed()) {
          throw new Error(`publish to ${envelope.subject} not stored: ${(error as Error).message}`);
        }
        await delay(Math.min(1_000, 25 * 2 ** attempt));
      }
    }
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

  private subscribeCore(spec: ConsumerSpec, processor: Processor): Subscription {
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
    })();
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
    const stream = await this.jsm.streams.find(spec.subject).catch(() => {
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
      if (!/already (exists|in use)/i.test(String(error))) throw error;
      // Same group, new settings (a deploy changed the ack wait): update what may be updated.
      await this.jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    });
    const consumer = await this.js.consumers.get(stream, durable);
    return new JetStreamSubscription(consumer, spec, processor).start();
  }

  async request(envelope: Envelope, timeoutMs: number): Promise<Envelope> {
    this.flushOutbox();
    try {
      const reply = await this.connection.request(envelope.subject, envelope.data, {
        timeout: timeoutMs,
        headers: toNatsHeaders(envelope.headers),
      });
      return { subject: reply.subject, data: reply.data, headers: fromNatsHeaders(reply.headers) };
    } catch (error) {
      if (error instanceof errors.NoRespondersError || (error as Error).cause instanceof errors.NoRespondersError) {
        throw new RemoteError(503, `no service answers ${envelope.subject}`, 'NoResponders');
      }
      if (error instanceof errors.TimeoutError || (error as Error).cause instanceof errors.TimeoutError) {
        throw new RequestTimeoutError(envelope.subject, timeoutMs);
      }
      throw error;
    }
  }

  async respond(subject: string, group: string, responder: Responder): Promise<Subscription> {
    const limiter = new Limiter(Number.MAX_SAFE_INTEGER);
    const subscription = this.connection.subscribe(subject, {
      queue: group,
      callback: (error, message) => {
        if (error) return;
        void limiter.run(async () => {
          const reply = await responder({ subject: message.subject, data: message.data, headers: fromNatsHeaders(message.headers) });
          message.respond(reply.data, { headers: toNatsHeaders(reply.headers) });
        });
      },
    });
    return coreSubscription({ subject, group }, subscription, limiter);
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    this.flushOutbox();
    await this.connection.drain();
  }
}

function coreSubscription(spec: { subject: string; group: string }, subscription: NatsSubscription, limiter: Limiter): Subscription {
  return {
    subject: spec.subject,
    group: spec.group,
    close: async () => {
      if (!subscription.isClosed()) await subscription.drain();
      await limiter.idle();
    },
  };
}

/** Durable names may not contain `.`, `*` or `>`: one consumer per group and subject filter. */
export function durableName(group: string, subject: string): string {
  return `${group}__${subject.replaceAll('.', '_').replaceAll('*', 'any').replaceAll('>', 'all')}`;
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

/** Credentials embedded in a URL never reach a log. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

async function logStatus(connection: NatsConnection, logger: { log(message: string): void; warn(message: string): void }) {
  for await (const status of connection.status()) {
    if (status.type === 'disconnect') logger.warn(`NATS disconnected from ${redact(String(status.server))}, reconnecting`);
    else if (status.type === 'reconnect') logger.log(`NATS reconnected to ${redact(String(status.server))}`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
