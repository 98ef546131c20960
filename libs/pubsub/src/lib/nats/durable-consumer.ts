import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type Consumer } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { createHash } from 'node:crypto';
import type { ConsumerSpec, StartPosition } from '../transport';
import { groupDescription } from './replay-consumer';
import { isConsumerAlreadyExists } from './nats-errors';
import { noStreamFor, type DeclaredStreams } from './streams';

/** Creates the group's durable consumer on the stream that stores the subject, or brings its settings up to date. */
export async function durableConsumer(js: JetStreamClient, jsm: JetStreamManager, streams: DeclaredStreams, spec: ConsumerSpec): Promise<Consumer> {
  const stream = await streams.storing(spec.subject);
  if (!stream) throw noStreamFor(spec.subject);
  const durable = durableName(spec.group, spec.subject);
  const config: Partial<ConsumerConfig> = {
    durable_name: durable,
    filter_subject: spec.subject,
    ack_policy: AckPolicy.Explicit,
    ...startAt(spec.from),
    // Read by `npm run replay`: whether this group's replayed deliveries are skipped (nats-server 2.9 has no consumer metadata).
    description: groupDescription(spec),
    // The library decides when to give up (and dead-letters with the reason); the server never drops silently.
    max_deliver: -1,
    ack_wait: nanos(spec.ackWaitMs),
    max_ack_pending: 10_000,
  };
  await jsm.consumers.add(stream, config).catch(async (error: unknown) => {
    if (!isConsumerAlreadyExists(error)) throw error;
    // Same group, new settings (a deploy changed the ack wait): update what may be updated.
    await jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending, description: config.description });
  });
  return js.consumers.get(stream, durable);
}

/** JetStream's deliver policy for a start position; it applies only when the consumer is created. */
function startAt(from: StartPosition): Pick<ConsumerConfig, 'deliver_policy' | 'opt_start_seq' | 'opt_start_time'> {
  if (from === 'all') return { deliver_policy: DeliverPolicy.All };
  if (from === 'new') return { deliver_policy: DeliverPolicy.New };
  if ('sequence' in from) return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.sequence };
  return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.time.toISOString() };
}

/**
 * One durable consumer per group and subject filter. Names may not contain `.`, `*` or `>`; the
 * readable part alone could collide (`a.b` and `a_b`), so a hash of group and subject makes it unique.
 */
export function durableName(group: string, subject: string): string {
  const readable = (text: string) => text.replaceAll('.', '_').replaceAll('*', 'any').replaceAll('>', 'all');
  const hash = createHash('sha256').update(`${group} ${subject}`).digest('hex').slice(0, 8);
  return `${readable(group)}__${readable(subject)}_${hash}`;
}
