import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Envelope } from '../message';
import { encodedHeaders } from './headers';
import { isNoResponders } from './nats-errors';
import { noStreamFor, type DeclaredStreams } from './streams';

/** At-least-once publishing: resolves once a stream stored the message. */
export class JetStreamPublisher {
  constructor(
    private readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly streams: DeclaredStreams,
    /** How long a publish keeps trying while the broker is away. */
    private readonly timeoutMs: number,
  ) {}

  async store(envelope: Envelope, dedupId: string | undefined): Promise<void> {
    // The message id rides in our own header block: cheaper than nats.js adding it, header by header.
    const headers = encodedHeaders(dedupId ? { ...envelope.headers, 'Nats-Msg-Id': dedupId } : envelope.headers);
    // Retrying is safe: the server drops a second copy with the same message id.
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(envelope.subject, envelope.data, { headers, timeout: 5_000 });
        return;
      } catch (error) {
        // Retrying is for a broker that is away, not for a missing stream. Nobody answering is what
        // a missing stream looks like, so that alone is checked (and a dropped subject put back).
        if (isNoResponders(error) && !(await this.stored(envelope.subject))) throw noStreamFor(envelope.subject);
        if (Date.now() > deadline || this.connection.isClosed()) {
          throw new Error(`publish to ${envelope.subject} not stored: ${(error as Error).message}`);
        }
        await delay(Math.min(1_000, 25 * 2 ** attempt));
      }
    }
  }

  /** Whether a stream stores the subject; while the broker cannot tell, it may. */
  private async stored(subject: string): Promise<boolean> {
    return this.streams.storing(subject).then(Boolean, () => true);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
