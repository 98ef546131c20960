import { AckPolicy, DeliverPolicy, jetstreamManager, type ConsumerConfig, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { DEAD_LETTER_PREFIX } from '../dead-letter';
import type { Effects } from '../transport';
import { isConsumerNotFound, isStreamNotFound } from './nats-errors';
import { NatsTransport, type NatsTransportOptions } from './nats.transport';
import { groupOf, replayConsumerName, replayDescription } from './replay-consumer';

/** One durable consumer of a group: a group reads one per subject it subscribes to. */
export interface ReplayTarget {
  readonly group: string;
  readonly subject: string;
  readonly stream: string;
  readonly durable: string;
  readonly effects: Effects;
}

export interface ReplayProgress extends ReplayTarget {
  /** Events to replay (those stored when the replay began). */
  readonly total: number;
  /** Handled so far (acked or dead-lettered). */
  readonly handled: number;
  /** Whether the group's service has started reading the replay. */
  readonly taken: boolean;
  readonly done: boolean;
}

export interface ReplaySummary extends ReplayTarget {
  /** Re-delivered to the group. */
  readonly delivered: number;
  /** Of those, not handled because the group's handler acts outside the platform (`effects: 'external'`). */
  readonly skipped: number;
  /** Dead letters the group stored while the replay ran. */
  readonly deadLettered: number;
}

export interface ReplayOptions {
  /** Only the events stored at or after this time (default: all the streams retain). */
  since?: Date;
  /** Called about every `intervalMs` with each consumer's progress. */
  onProgress?: (progress: readonly ReplayProgress[]) => void;
  intervalMs?: number;
  /** Aborting stops the replay: its consumers are deleted, the groups go on as before. */
  signal?: AbortSignal;
}

/**
 * `npm run replay`: re-delivers the retained events to one consumer group, or to every group of a service,
 * while it runs. For each of the group's durable consumers it creates a replay consumer beside it (same
 * subject, starting at the beginning or at `since`, ending at the stream's last sequence now); the group's
 * running subscriptions find it and handle what it delivers as replayed (replayable-subscription.ts). The
 * other groups see nothing. See docs/decisions/0006-replay.md.
 */
export class Replayer {
  private constructor(
    private readonly transport: NatsTransport,
    private readonly jsm: JetStreamManager,
  ) {}

  static async connect(options: Omit<NatsTransportOptions, 'name' | 'streams'>): Promise<Replayer> {
    // Creates no stream: the services make them, with the replicas their cluster wants.
    const transport = await NatsTransport.connect({ ...options, name: 'replay', streams: [] });
    return new Replayer(transport, await jetstreamManager(transport.connection));
  }

  /** The durable consumers of `target`: the group of that name, or every group of the service (`<target>.…`). */
  async targets(target: string): Promise<ReplayTarget[]> {
    const found: ReplayTarget[] = [];
    for await (const stream of this.jsm.streams.names()) {
      for await (const consumer of await this.jsm.consumers.list(stream)) {
        const owner = groupOf(consumer.config.description);
        if (!owner || (owner.group !== target && !owner.group.startsWith(`${target}.`))) continue;
        found.push({ ...owner, subject: consumer.config.filter_subject ?? '>', stream, durable: consumer.name });
      }
    }
    return found.sort((a, b) => `${a.group} ${a.subject}`.localeCompare(`${b.group} ${b.subject}`));
  }

  /** Replays to every consumer of `target` at once; resolves with a summary per consumer once each is done. */
  async replay(target: string, options: ReplayOptions = {}): Promise<ReplaySummary[]> {
    const targets = await this.targets(target);
    if (targets.length === 0) throw new Error(`no consumer group is named ${target} or starts with ${target}. (has its service run?)`);
    const groups = [...new Set(targets.map((it) => it.group))];
    const deadLettersBefore = new Map(await Promise.all(groups.map(async (group) => [group, await this.deadLetters(group)] as const)));
    const runs = await Promise.all(targets.map((it) => this.begin(it, options.since)));
    try {
      for (;;) {
        const progress = await Promise.all(runs.map((run) => this.progressOf(run)));
        options.onProgress?.(progress);
        if (progress.every((it) => it.done)) break;
        await pause(options.intervalMs ?? 1_000, options.signal);
      }
    } finally {
      await Promise.all(runs.map((run) => this.end(run)));
    }
    const deadLettered = new Map(
      await Promise.all(groups.map(async (group) => [group, (await this.deadLetters(group)) - deadLettersBefore.get(group)!] as const)),
    );
    // A group's dead letters are its own, whichever of its subjects they came from: told once, on its first consumer.
    const told = new Set<string>();
    return runs.map(({ target: it, total }) => {
      const letters = told.has(it.group) ? 0 : deadLettered.get(it.group)!;
      told.add(it.group);
      return { ...it, delivered: total, skipped: it.effects === 'external' ? total : 0, deadLettered: letters };
    });
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private async begin(target: ReplayTarget, since: Date | undefined): Promise<Run> {
    const main = await this.jsm.consumers.info(target.stream, target.durable);
    // The stream's last sequence now: what is published later is the group's own consumer's to deliver.
    const until = (await this.jsm.streams.info(target.stream)).state.last_seq;
    const name = replayConsumerName(target.durable);
    // A replay that was stopped without cleaning up (its tool killed) is replaced.
    await this.jsm.consumers.delete(target.stream, name).catch((error: unknown) => {
      if (!isConsumerNotFound(error)) throw error;
    });
    const config: Partial<ConsumerConfig> = {
      durable_name: name,
      description: replayDescription(target.group, until),
      filter_subject: target.subject,
      ack_policy: AckPolicy.Explicit,
      ...(since ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: since.toISOString() } : { deliver_policy: DeliverPolicy.All }),
      max_deliver: -1,
      ack_wait: main.config.ack_wait,
      max_ack_pending: main.config.max_ack_pending,
    };
    const created = await this.jsm.consumers.add(target.stream, config);
    return { target, name, until, total: created.num_pending };
  }

  private async progressOf(run: Run): Promise<ReplayProgress> {
    const info: ConsumerInfo = await this.jsm.consumers.info(run.target.stream, run.name);
    // Past `until` the subscription acks without handling: only the events up to it count.
    const reachedEnd = info.num_pending === 0 || info.delivered.stream_seq >= run.until;
    const done = info.num_ack_pending === 0 && reachedEnd;
    const handled = done ? run.total : Math.max(0, Math.min(run.total, run.total - info.num_pending - info.num_ack_pending));
    return { ...run.target, total: run.total, handled, taken: info.delivered.consumer_seq > 0 || run.total === 0, done };
  }

  private async end(run: Run): Promise<void> {
    await this.jsm.consumers.delete(run.target.stream, run.name).catch((error: unknown) => {
      if (!isConsumerNotFound(error)) throw error;
    });
  }

  /** How many dead letters `group` has stored. */
  private async deadLetters(group: string): Promise<number> {
    const info = await this.jsm.streams.info('DEAD_LETTER', { subjects_filter: `${DEAD_LETTER_PREFIX}.${group}.>` }).catch((error: unknown) => {
      if (isStreamNotFound(error)) return undefined;
      throw error;
    });
    return Object.values(info?.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
  }
}

interface Run {
  readonly target: ReplayTarget;
  readonly name: string;
  readonly until: number;
  readonly total: number;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('replay stopped'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('replay stopped'))), { once: true });
  });
}
