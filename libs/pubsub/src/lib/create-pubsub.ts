import { NatsTransport, DEFAULT_NATS_ADDR } from './nats/nats.transport';
import type { StreamSpec } from './nats/streams';
import { PubSub } from './pubsub';
import type { PubSubOptions } from './pubsub-options';
import { DEAD_LETTER_PREFIX } from './dead-letter';
import { streamMaxAgeFrom } from './duration';
import { DELIVERIES_PREFIX, DELIVERIES_STREAM } from './nats/deliveries';
import { TRACKING_PREFIX } from './tracking-event';

export interface CreatePubSubOptions extends Omit<PubSubOptions, 'transport'> {
  /** NATS server URL(s); default `NATS_ADDR` from the environment, then `nats://127.0.0.1:4222`. */
  natsAddr?: string;
  /** NATS user and password (`NATS_USER`, `NATS_PASSWORD`) when the server requires them. */
  natsUser?: string;
  natsPassword?: string;
  /** The streams of this service's at-least-once events (the catalog's), besides the library's own. */
  streams?: readonly StreamSpec[];
  publishTimeoutMs?: number;
  /** Copies of each stream this service creates, in a NATS cluster (`NATS_STREAM_REPLICAS`, default 1). */
  streamReplicas?: number;
  /** How long the streams keep events, unless a stream says otherwise (default `STREAM_MAX_AGE`, else 30 days). */
  streamMaxAgeMs?: number;
}

/** The library's own streams: tracking events, dead letters, and the groups' delivery reports (nats/deliveries.ts). */
export const LIBRARY_STREAMS: readonly StreamSpec[] = [
  { name: 'TRACKING', subjects: [`${TRACKING_PREFIX}.>`] },
  { name: 'DEAD_LETTER', subjects: [`${DEAD_LETTER_PREFIX}.>`], maxAgeMs: 30 * 24 * 60 * 60 * 1000 },
  { name: DELIVERIES_STREAM, subjects: [`${DELIVERIES_PREFIX}.>`], maxAgeMs: 30 * 24 * 60 * 60 * 1000 },
];

/** Connects to NATS (`NATS_ADDR`), creates or extends the streams, and returns a ready PubSub. */
export async function createPubSub(options: CreatePubSubOptions): Promise<PubSub> {
  const { natsAddr, natsUser, natsPassword, streams = [], publishTimeoutMs, streamReplicas, streamMaxAgeMs, ...rest } = options;
  // Checked before connecting: a wrong STREAM_MAX_AGE stops the service at start with a clear message.
  const maxAgeMs = streamMaxAgeMs ?? streamMaxAgeFrom();
  const transport = await NatsTransport.connect({
    servers: natsAddr ?? process.env['NATS_ADDR'] ?? DEFAULT_NATS_ADDR,
    name: options.service,
    user: natsUser,
    pass: natsPassword,
    streams: [...LIBRARY_STREAMS, ...streams].map((spec) => ({ replicas: streamReplicas, maxAgeMs, ...spec })),
    publishTimeoutMs,
    logger: rest.logger ?? console,
  });
  return new PubSub({ ...rest, transport });
}
