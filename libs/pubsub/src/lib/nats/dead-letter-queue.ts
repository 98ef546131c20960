import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { CE } from '../cloudevents';
import { DL, readDeadLetter, type DeadLetter } from '../dead-letter';
import type { Envelope, Headers } from '../message';
import { fromNatsHeaders } from './headers';
import { isStreamNotFound } from './nats-errors';
import { NatsTransport, type NatsTransportOptions } from './nats.transport';

const STREAM = 'DEAD_LETTER';

/** A dead letter as the DEAD_LETTER stream keeps it; `id` is its sequence in that stream. */
export interface StoredDeadLetter extends DeadLetter {
  readonly id: number;
  /** The `ce-id` of the event that could not be handled. */
  readonly eventId: string;
  /** The original message: its subject, headers (without the dead-letter ones) and body. */
  readonly original: Envelope;
}

/**
 * What an operator does with dead letters (`npm run dlq`): read why each one failed, and after a fix
 * send it back to the one group that failed it — the other groups handled it already and skip it.
 */
export class DeadLetterQueue {
  private constructor(
    private readonly transport: NatsTransport,
    private readonly jsm: JetStreamManager,
  ) {}

  static async connect(options: Omit<NatsTransportOptions, 'name' | 'streams'>): Promise<DeadLetterQueue> {
    // Creates nothing: the services make the streams, with the replicas their cluster wants.
    const transport = await NatsTransport.connect({ ...options, name: 'dead-letter-queue', streams: [] });
    return new DeadLetterQueue(transport, await jetstreamManager(transport.connection));
  }

  /** Every dead letter, oldest first. */
  async list(): Promise<StoredDeadLetter[]> {
    const info = await this.jsm.streams.info(STREAM).catch((error: unknown) => {
      // No service has dead-lettered anything yet, or none has started.
      if (isStreamNotFound(error)) return undefined;
      throw error;
    });
    const letters: StoredDeadLetter[] = [];
    if (!info || info.state.messages === 0) return letters;
    const { state } = info;
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const letter = await this.get(seq);
      if (letter) letters.push(letter);
    }
    return letters;
  }

  /** The dead letter `id`, or undefined when there is none (never was, or replayed already). */
  async get(id: number): Promise<StoredDeadLetter | undefined> {
    // nats.js answers null for a sequence the stream does not hold.
    const stored = await this.jsm.streams.getMessage(STREAM, { seq: id });
    return stored ? toDeadLetter(stored) : undefined;
  }

  /**
   * Publishes the original message again, for its group only, with `data` as the body when the event
   * itself needed fixing, then removes the dead letter. Should it fail again, it comes back as a new one.
   */
  async replay(id: number, options: { data?: Uint8Array } = {}): Promise<StoredDeadLetter> {
    const letter = await this.get(id);
    if (!letter) throw new Error(`there is no dead letter ${id}`);
    const { subject, headers, data } = letter.original;
    const replayed: Envelope = { subject, data: options.data ?? data, headers: { ...headers, [DL.replayFor]: letter.group, [DL.replayOf]: String(id) } };
    // Its own message id: the original's would be dropped as a duplicate inside the stream's window.
    await this.transport.publish(replayed, 'at-least-once', `dead-letter-replay:${id}`);
    await this.jsm.streams.deleteMessage(STREAM, id, false);
    return letter;
  }

  /** Replays every dead letter; returns them. */
  async replayAll(): Promise<StoredDeadLetter[]> {
    const letters = await this.list();
    for (const letter of letters) await this.replay(letter.id);
    return letters;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

function toDeadLetter(stored: StoredMsg): StoredDeadLetter {
  const headers = fromNatsHeaders(stored.header);
  const letter = readDeadLetter({ subject: stored.subject, data: stored.data, headers });
  const original: Headers = {};
  for (const [key, value] of Object.entries(headers)) {
    if (!isDeadLetterHeader(key)) original[key] = value;
  }
  return { ...letter, id: stored.seq, eventId: headers[CE.id] ?? '', original: { subject: letter.subject, headers: original, data: stored.data } };
}

function isDeadLetterHeader(key: string): boolean {
  return key.startsWith('dead-letter-') || key === 'nats-msg-id';
}
