import type { NatsConnection } from '@nats-io/transport-node';
import type { Envelope } from '../message';
import { encodedHeaders, type HeaderBlock } from './headers';

/**
 * Coalesces at-most-once publishes into one socket write. nats.js writes on the next microtask, so
 * each awaited publish would cost a write of its own; gathering them until the event loop turns
 * sends a burst in one write.
 */
export class PublishBatch {
  private readonly pending: Array<[string, Uint8Array, HeaderBlock]> = [];

  constructor(private readonly connection: NatsConnection) {}

  /** Queues the message for the end of this event-loop turn; throws when the server would refuse it. */
  add(envelope: Envelope): void {
    const headers = encodedHeaders(envelope.headers);
    const size = envelope.data.length + headers.encode().length;
    // Checked now, because the write happens after the caller's promise has resolved. (While
    // reconnecting nats.js knows no server and so no limit; the server then refuses it.)
    const limit = this.connection.info?.max_payload;
    if (limit !== undefined && size > limit) {
      throw new Error(`message on ${envelope.subject} is ${size} bytes, over the server's limit of ${limit}`);
    }
    if (this.pending.push([envelope.subject, envelope.data, headers]) === 1) setImmediate(this.flush);
  }

  /** Writes what is queued now: before anything that must not overtake it (a stored publish, a request, a close). */
  readonly flush = (): void => {
    for (const [subject, data, headers] of this.pending.splice(0)) {
      try {
        this.connection.publish(subject, data, { headers });
      } catch {
        // Only a closed connection refuses a publish; at-most-once means this one is gone.
      }
    }
  };
}
