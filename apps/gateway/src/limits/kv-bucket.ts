import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import { UnavailableError } from '@mediamagic/errors';
import { inboxPrefixOf, whileJetStreamAway } from '@mediamagic/pubsub/nats';

// Each round of a race on one key has a winner, and a rate limit's key stops being written once it is over the
// limit, so a request loses at most `limit` rounds. Past this many (a flood from one client) it is turned away.
const MAX_ATTEMPTS = 100;

export interface KvBucketOptions {
  servers: string[];
  user?: string;
  pass?: string;
  bucket: string;
  /** How long a key lives after its last write: the bucket's TTL. */
  maxAgeMs: number;
  replicas: number;
}

/**
 * A key-value bucket on JetStream, laid out as NATS KV lays one out (stream `KV_<bucket>`, subjects
 * `$KV.<bucket>.<key>`, the last value of each key kept), so `nats kv get <bucket> <key>` reads it. A key's
 * revision is the stream sequence of its value; a write that names the revision it read is refused when
 * another writer came in between, which makes `update` atomic across processes.
 */
export class KvBucket {
  private constructor(
    private readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly prefix: string,
  ) {}

  static async open(options: KvBucketOptions): Promise<KvBucket> {
    const { servers, user, pass, bucket } = options;
    // Its own connection, waiting for a broker that goes away as the services' connections do, and hearing its
    // replies on the gateway's own inbox prefix, the only one the gateway's NATS user may subscribe to.
    const connection = await connect({
      servers,
      user,
      pass,
      name: `gateway ${bucket}`,
      inboxPrefix: inboxPrefixOf('gateway'),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    // A gateway starting while a NATS cluster elects leaders waits for JetStream, as the services do.
    const logger = new Logger('KvBucket');
    const jsm = await whileJetStreamAway('answer', () => jetstreamManager(connection), logger);
    await whileJetStreamAway(`create the bucket ${bucket}`, () => KvBucket.ensureStream(jsm, options), logger);
    return new KvBucket(connection, jetstream(connection), jsm, `KV_${bucket}`, `$KV.${bucket}.`);
  }

  private static async ensureStream(jsm: JetStreamManager, options: KvBucketOptions): Promise<void> {
    const { bucket } = options;
    const stream = `KV_${bucket}`;
    const exists = await jsm.streams.info(stream).then(
      () => true,
      (error: unknown) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return false;
        throw error;
      },
    );
    // An existing bucket is left as it is: an operator may have tuned it. Replicas creating it at once get the same stream.
    if (!exists) {
      await jsm.streams.add({
        name: stream,
        subjects: [`$KV.${bucket}.>`],
        max_msgs_per_subject: 1,
        max_age: options.maxAgeMs * 1_000_000,
        num_replicas: options.replicas,
        // Counters of the last minutes: losing them with the broker only resets the limits.
        storage: StorageType.Memory,
        discard: DiscardPolicy.New,
        allow_rollup_hdrs: true,
        deny_delete: true,
        allow_direct: true,
      });
    }
  }

  /** The value and revision of `key`, or undefined when it has none (never written, or expired). */
  async get<T>(key: string): Promise<{ value: T; revision: number } | undefined> {
    // From the stream's leader, not a replica (direct get): a value read to be updated must be the last one.
    const stored = await this.jsm.streams.getMessage(this.stream, { last_by_subj: this.prefix + key });
    return stored ? { value: stored.json<T>(), revision: stored.seq } : undefined;
  }

  /**
   * Replaces the value of `key` with what `change` makes of it, atomically: when another writer changed the key
   * after it was read, it is read again and `change` applied to that. `change` returns undefined to leave the
   * value as it is. Resolves to the value the key has afterwards.
   */
  async update<T>(key: string, change: (current: T | undefined) => T | undefined): Promise<T | undefined> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.get<T>(key);
      const next = change(current?.value);
      if (next === undefined) return current?.value;
      if (await this.write(key, next, current?.revision ?? 0)) return next;
    }
    throw new UnavailableError('too many concurrent requests for the same limit', { retryAfterSeconds: 1 });
  }

  /** Writes `value` if `key` is still at `revision` (0: no value); false when another writer came first. */
  private async write(key: string, value: unknown, revision: number): Promise<boolean> {
    try {
      await this.js.publish(this.prefix + key, JSON.stringify(value), { expect: { lastSubjectSequence: revision } });
      return true;
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence) return false;
      throw error;
    }
  }

  /** Nest's last hook: the HTTP server takes no more requests that could count. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.connection.isClosed()) await this.connection.drain();
  }
}
