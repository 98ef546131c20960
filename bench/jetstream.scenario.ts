/**
 * Scenario 2: typed events, at-least-once (JetStream, file storage), ~256-byte JSON payloads.
 * Library: pubsub.emit (zod-validated, CloudEvents headers, msgID) and pubsub.on (durable pull consumer).
 * Raw: js.publish with msgID, a durable pull consumer with explicit ack, consumer.consume(), m.ack().
 * Both sides JSON-encode on publish and JSON-decode on consume; only the library validates.
 *
 * Three phases per run, each timed separately:
 *   publish  - N publishes, WINDOW in flight, nobody consuming;
 *   consume  - a new consumer group reads that backlog of N (timed from subscribing);
 *   e2e      - with the consumer running, N more are published; timed until all N are handled.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { z } from 'zod';
import { defineEvent } from '@mediamagic/pubsub';
import { createPubSub } from '@mediamagic/pubsub/nats';
import { now, rate, waitUntil, windowed, type Figure } from './harness';

export const WINDOW = 256;
export const CONCURRENCY = 64;
/** The library pulls max(8, 2 x concurrency); the raw consumer is given the same buffer. */
const RAW_MAX_MESSAGES = Math.max(8, CONCURRENCY * 2);

export const LIB_STREAM = { name: 'BENCH', subjects: ['bench.>'] };
export const RAW_STREAM = { name: 'RAWBENCH', subjects: ['rawbench.>'] };
const LIB_SUBJECT = 'bench.event';
const RAW_SUBJECT = 'rawbench.event';

/** The payload's schema, validated on emit and on consume (part 7 uses it too). */
export const orderSchema = z.object({
  orderId: z.string(),
  customerId: z.string(),
  amount: z.number(),
  currency: z.string().length(3),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })),
  note: z.string(),
});

const OrderPlaced = defineEvent({
  subject: LIB_SUBJECT,
  version: 1,
  delivery: 'at-least-once',
  schema: orderSchema,
});

type OrderPayload = z.output<typeof orderSchema>;

export function payload(i: number): OrderPayload {
  return {
    orderId: `order-${String(i).padStart(10, '0')}`,
    customerId: 'customer-4f1c2a9e-7b3d-4e8a-9c51-0d2e6f7a8b90',
    amount: 129.95,
    currency: 'EUR',
    items: [
      { sku: 'SKU-0001-RED-XL', quantity: 2 },
      { sku: 'SKU-0042-BLUE-M', quantity: 1 },
    ],
    note: 'ring twice, leave at the front door',
  };
}
export const PAYLOAD_BYTES = JSON.stringify(payload(0)).length;

export interface JetStreamFigures {
  publish: Figure;
  consume: Figure;
  e2e: Figure;
}

interface Counter {
  count: number;
  lastAt: number;
}

function handled(counter: Counter): void {
  counter.count++;
  counter.lastAt = now();
}

/** Times `publishAll`, then a new consumer reading the backlog, then publish + consume together. */
async function phases(n: number, publishAll: (offset: number) => Promise<void>, startConsumer: (counter: Counter) => Promise<void>): Promise<JetStreamFigures> {
  let start = now();
  await publishAll(0);
  const publish: Figure = { value: rate(n, now() - start) };

  const counter: Counter = { count: 0, lastAt: 0 };
  start = now();
  await startConsumer(counter);
  let complete = await waitUntil(
    () => counter.count >= n,
    () => counter.count,
  );
  const consume: Figure = {
    value: rate(Math.min(counter.count, n), counter.lastAt - start),
    note: complete ? undefined : `consumed ${counter.count} of ${n}`,
  };

  const base = counter.count;
  start = now();
  await publishAll(n);
  complete = await waitUntil(
    () => counter.count - base >= n,
    () => counter.count,
  );
  const e2e: Figure = {
    value: rate(Math.min(counter.count - base, n), counter.lastAt - start),
    note: complete ? undefined : `e2e consumed ${counter.count - base} of ${n}`,
  };
  return { publish, consume, e2e };
}

export async function libraryJetStream(url: string, n: number, group: string): Promise<JetStreamFigures> {
  const pubsub = await createPubSub({ service: 'bench-js', natsAddr: url, streams: [LIB_STREAM] });
  try {
    return await phases(
      n,
      (offset) => windowed(n, WINDOW, (i) => pubsub.emit(OrderPlaced, payload(offset + i))),
      async (counter) => {
        await pubsub.on(OrderPlaced, () => handled(counter), { group, concurrency: CONCURRENCY });
      },
    );
  } finally {
    await pubsub.close();
  }
}

export async function rawJetStream(url: string, n: number, group: string): Promise<JetStreamFigures> {
  const nc = await connect({ servers: url, name: 'bench-js-raw' });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let loop: Promise<void> | undefined;
  try {
    return await phases(
      n,
      (offset) => windowed(n, WINDOW, (i) => js.publish(RAW_SUBJECT, encoder.encode(JSON.stringify(payload(offset + i))), { msgID: `${group}-${offset + i}` })),
      async (counter) => {
        await jsm.consumers.add(RAW_STREAM.name, {
          durable_name: group,
          filter_subject: RAW_SUBJECT,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          max_deliver: -1,
          ack_wait: nanos(30_000),
          max_ack_pending: 10_000,
        });
        const consumer = await js.consumers.get(RAW_STREAM.name, group);
        const messages = await consumer.consume({ max_messages: RAW_MAX_MESSAGES });
        loop = (async () => {
          for await (const m of messages) {
            JSON.parse(decoder.decode(m.data));
            handled(counter);
            m.ack();
          }
        })();
      },
    );
  } finally {
    await nc.drain();
    await loop;
  }
}

/** Creates the raw stream like the library creates its own (file storage, limits, 2-minute dedup window). */
export async function ensureRawStream(jsm: JetStreamManager): Promise<void> {
  await jsm.streams.add({ ...RAW_STREAM, max_age: nanos(7 * 24 * 3600_000), duplicate_window: nanos(120_000) });
}

/** Between runs: drop the run's consumer and empty both streams, so every run starts alike. */
export async function resetStreams(jsm: JetStreamManager, consumers: Array<[stream: string, durable: string]>): Promise<void> {
  for (const [stream, durable] of consumers) await jsm.consumers.delete(stream, durable).catch(() => undefined);
  for (const stream of [LIB_STREAM.name, RAW_STREAM.name]) await jsm.streams.purge(stream).catch(() => undefined);
}
