import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerInfo,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { CE } from '../cloudevents';
import { DEAD_LETTER_PREFIX, DL } from '../dead-letter';
import { subjectMatches } from '../subject';
import type { Outcome } from '../transport';
import { connectNats, type ConnectionOptions } from './connection';
import { durableName } from './durable-consumer';
import { isStreamNotFound } from './nats-errors';
import { replayUntilOf } from './replay-consumer';

/**
 * What the consuming groups report of a delivery that JetStream cannot tell per message (waiting for a
 * retry, the attempts so far): the last report per group and stream sequence, on
 * `deliveries.<group>.<stream>.<sequence>`, kept as long as the dead letters.
 */
export const DELIVERIES_STREAM = 'DELIVERIES';
export const DELIVERIES_PREFIX = 'deliveries';

export type DeliveryState = 'handled' | 'pending' | 'retrying' | 'dead-lettered';

/** What became of one event in one consumer group. */
export interface GroupDelivery {
  readonly group: string;
  readonly state: DeliveryState;
  readonly attempts: number;
}

/** An event as its publisher knows it: its `ce-id`, subject and when it happened (it was stored after). */
export interface PublishedEvent {
  readonly id: string;
  readonly subject: string;
  readonly time: Date;
  /** Where it is stored, when an earlier read found it: saves looking for it again. */
  readonly location?: StoredLocation;
}

/** Where a stream stores an event. */
export interface StoredLocation {
  readonly stream: string;
  readonly sequence: number;
}

/** Where an event is stored, and what became of it in each group subscribed to its subject. */
export interface EventDeliveries extends StoredLocation {
  readonly deliveries: GroupDelivery[];
}

interface Report {
  state: DeliveryState;
  attempts: number;
}

const reportSubject = (group: string, stream: string, sequence: number) => `${DELIVERIES_PREFIX}.${group}.${stream}.${sequence}`;

/**
 * Called by a group's subscription once a delivery is settled: reports a retry, a dead letter, and the
 * handling of a message that needed more than one attempt (a first-attempt ack is the common case, and
 * JetStream's ack floor tells it: nothing is written). Fire and forget: a lost report only makes the
 * attempts shown less precise.
 */
export function reportDelivery(connection: NatsConnection, group: string, message: JsMsg, outcome: Outcome): void {
  const attempts = message.info.deliveryCount;
  const state: DeliveryState | undefined =
    outcome.kind === 'retry' ? 'retrying' : outcome.kind === 'term' ? 'dead-lettered' : attempts > 1 ? 'handled' : undefined;
  if (!state) return;
  try {
    connection.publish(reportSubject(group, message.info.stream, message.info.streamSequence), JSON.stringify({ state, attempts } satisfies Report));
  } catch {
    // Disconnected: the report is lost, the delivery is not.
  }
}

/**
 * Where each event went: one entry per durable consumer group whose filter covers its subject, read from
 * JetStream's own consumer state (ack floor, delivered sequence), the dead-letter stream, and the groups'
 * reports. For an event at stream sequence s in a group:
 * - s above the delivered sequence: pending (not delivered yet);
 * - s at or below the ack floor: handled, or dead-lettered when the group's dead letters hold it;
 * - in between: delivered and not settled, retrying when the group reported a retry (dead-lettered when
 *   it reported that, a moment before the server hears it), else pending (in flight, or acked while an
 *   earlier message holds the ack floor back).
 */
export class JetStreamDeliveries {
  private constructor(
    private readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  static async connect(options: ConnectionOptions): Promise<JetStreamDeliveries> {
    const connection = await connectNats(options);
    return new JetStreamDeliveries(connection, jetstream(connection), await jetstreamManager(connection));
  }

  /** The deliveries of each event, by its id; an event not (yet) in a stream has none. */
  async of(events: readonly PublishedEvent[]): Promise<Map<string, EventDeliveries>> {
    const deadLetters = await this.deadLetterCounts();
    // One listing per stream, shared by its events; the events are read side by side.
    const consumers = new Map<string, Promise<ConsumerInfo[]>>();
    const consumersOf = (stream: string) => {
      if (!consumers.has(stream)) consumers.set(stream, this.jsm.consumers.list(stream).next());
      return consumers.get(stream)!;
    };
    const found = await Promise.all(
      events.map(async (event): Promise<[string, EventDeliveries] | undefined> => {
        const location = event.location ?? (await this.locate(event));
        if (!location) return undefined;
        const { stream, sequence } = location;
        const groups = (await consumersOf(stream)).filter(
          // A replay's consumer (replay-consumer.ts) is not a group of its own: the group's own consumer tells.
          (info) =>
            info.config.durable_name &&
            replayUntilOf(info.config.description) === undefined &&
            subjectMatches(info.config.filter_subject ?? '>', event.subject),
        );
        const deliveries = await Promise.all(groups.map((info) => this.deliveryIn(info, stream, sequence, event, deadLetters)));
        return [event.id, { stream, sequence, deliveries: deliveries.sort((a, b) => a.group.localeCompare(b.group)) }];
      }),
    );
    return new Map(found.filter((entry) => entry !== undefined));
  }

  async close(): Promise<void> {
    await this.connection.drain();
  }

  private async deliveryIn(
    info: ConsumerInfo,
    stream: string,
    sequence: number,
    event: PublishedEvent,
    deadLetters: Record<string, number>,
  ): Promise<GroupDelivery> {
    const group = groupOf(info);
    if (sequence > info.delivered.stream_seq) return { group, state: 'pending', attempts: 0 };
    const report = await this.report(group, stream, sequence);
    if (sequence <= info.ack_floor.stream_seq) {
      const deadLetterSubject = `${DEAD_LETTER_PREFIX}.${group}.${event.subject}`;
      const deadLetter = deadLetters[deadLetterSubject] ? await this.findById(DEAD_LETTER_STREAM, deadLetterSubject, event.id, event.time) : undefined;
      if (deadLetter) return { group, state: 'dead-lettered', attempts: Number(deadLetter.headers?.get(DL.attempts) ?? report?.attempts ?? 1) };
      // The dead letter is gone (replayed with `npm run dlq`, or expired): this delivery was still dead-lettered;
      // a replay is a message of its own.
      if (report?.state === 'dead-lettered') return { group, state: 'dead-lettered', attempts: report.attempts };
      return { group, state: 'handled', attempts: report?.state === 'handled' ? report.attempts : 1 };
    }
    // Reported but not settled yet on the server (the ack goes out at the end of the event-loop turn).
    if (report?.state === 'retrying' || report?.state === 'dead-lettered') return { group, state: report.state, attempts: report.attempts };
    return { group, state: 'pending', attempts: report?.attempts ?? 1 };
  }

  private async report(group: string, stream: string, sequence: number): Promise<Report | undefined> {
    const stored = await this.jsm.streams.getMessage(DELIVERIES_STREAM, { last_by_subj: reportSubject(group, stream, sequence) }).catch(() => null);
    return stored ? (stored.json<Report>() as Report) : undefined;
  }

  private async locate(event: PublishedEvent): Promise<StoredLocation | undefined> {
    const stream = await this.jsm.streams.find(event.subject).catch((error: unknown) => (isStreamNotFound(error) ? undefined : Promise.reject(error)));
    if (!stream) return undefined;
    const stored = await this.findById(stream, event.subject, event.id, event.time);
    return stored && { stream, sequence: stored.seq };
  }

  /**
   * The message with `ce-id` `id` among those stored on `subject` since `since` (a stream has no index by
   * header): read with a short-lived consumer of its own, headers only, up to the first match or the end.
   */
  private async findById(stream: string, subject: string, id: string, since: Date): Promise<JsMsg | undefined> {
    const info = await this.jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      filter_subject: subject,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
      headers_only: true,
      // Removed below; should this process die first, the server removes it.
      inactive_threshold: nanos(30_000),
    });
    try {
      const consumer = await this.js.consumers.get(stream, info.name);
      for (let pending = info.num_pending; pending > 0;) {
        const batch = await consumer.fetch({ max_messages: Math.min(pending, 256), expires: 2_000 });
        let read = 0;
        for await (const message of batch) {
          read++;
          if (message.headers?.get(CE.id) === id) return message;
          pending = message.info.pending;
        }
        if (read === 0) return undefined;
      }
      return undefined;
    } finally {
      await this.jsm.consumers.delete(stream, info.name).catch(() => false);
    }
  }

  /** How many dead letters each `dead-letter.<group>.<subject>` holds: a group's dead letters are read only when it has some. */
  private async deadLetterCounts(): Promise<Record<string, number>> {
    const info = await this.jsm.streams
      .info(DEAD_LETTER_STREAM, { subjects_filter: `${DEAD_LETTER_PREFIX}.>` })
      .catch((error: unknown) => (isStreamNotFound(error) ? undefined : Promise.reject(error)));
    return info?.state.subjects ?? {};
  }
}

const DEAD_LETTER_STREAM = 'DEAD_LETTER';

/** The group a durable consumer serves: its name is `<group>__<subject>_<hash>` with dots made underscores (durableName). */
function groupOf(info: ConsumerInfo): string {
  const readable = info.name.slice(0, info.name.indexOf('__'));
  const dotted = readable.replaceAll('_', '.');
  return durableName(dotted, info.config.filter_subject ?? '') === info.name ? dotted : readable;
}
