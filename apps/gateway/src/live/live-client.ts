import type { LiveEvent } from './live-event';

/** Where a client's frames go: an HTTP response in the gateway, a recorder in unit tests. */
export interface LiveSink {
  /** False when the connection's buffer is full: write more only after `onDrain`. */
  write(chunk: string): boolean;
  onDrain(listener: () => void): void;
  /** Ends the stream after what was written (the gateway stops). */
  end(): void;
  /** Drops the connection at once, whatever is unsent (a client too slow to keep up). */
  destroy(): void;
}

export type CloseReason = 'too slow' | 'stopping' | 'gone' | 'failed';

/**
 * One open live stream. Its memory is bounded: what the connection does not take yet waits in a queue of at most
 * `queueLimit` frames, and a client whose queue is full is disconnected. It loses nothing by it: it reconnects with
 * the id it last received and is given what it missed from the stream's retention.
 *
 * A resuming client (Last-Event-ID) first receives what the stream kept after its cursor (`replayed`), while the
 * shared feed's events for it are held; `caughtUp` then sends the held ones it has not had, in order. Every event
 * with a stream sequence is sent once at most: the client remembers the last sequence it sent.
 */
export class LiveClient {
  private readonly queue: string[] = [];
  private blocked = false;
  private closedBy: CloseReason | undefined;
  private held: LiveEvent[] | undefined;
  private lastSeq: number;
  private readonly writable = new Set<() => void>();

  constructor(
    readonly ownerId: string,
    private readonly sink: LiveSink,
    private readonly queueLimit: number,
    private readonly onClose: (client: LiveClient, reason: CloseReason) => void,
    /** The sequence of the Last-Event-ID: the client is resuming after it. */
    resumeAfter?: number,
  ) {
    this.lastSeq = resumeAfter ?? 0;
    if (resumeAfter !== undefined) this.held = [];
    sink.onDrain(() => this.flush());
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** An event of the shared feed. */
  deliver(event: LiveEvent): void {
    if (!this.held) this.sendEvent(event);
    else if (this.held.length < this.queueLimit) this.held.push(event);
    else this.close('too slow');
  }

  /** An event the resume read from the stream, older than anything held. */
  replayed(event: LiveEvent): void {
    this.sendEvent(event);
  }

  /** The resume has read up to where the shared feed took over: the held events follow, then the live ones. */
  caughtUp(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) this.sendEvent(event);
  }

  /** A frame that is no event (a keep-alive). */
  send(chunk: string): void {
    if (this.closed) return;
    if (this.blocked) {
      if (this.queue.length < this.queueLimit) this.queue.push(chunk);
      else this.close('too slow');
    } else if (!this.sink.write(chunk)) {
      this.blocked = true;
    }
  }

  /** Resolves once the connection takes more (or the client is closed): a resume reads no faster than its client. */
  whenWritable(): Promise<void> {
    if (!this.blocked || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.writable.add(resolve));
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closedBy = reason;
    this.queue.length = 0;
    this.held = undefined;
    // A stop ends the stream in order, unless the connection cannot take even that: it would hold the stop.
    if (reason === 'stopping' && !this.blocked) this.sink.end();
    else if (reason !== 'gone') this.sink.destroy();
    this.wake();
    this.onClose(this, reason);
  }

  private sendEvent(event: LiveEvent): void {
    if (event.seq !== undefined) {
      if (event.seq <= this.lastSeq) return;
      this.lastSeq = event.seq;
    }
    this.send(event.frame);
  }

  private flush(): void {
    this.blocked = false;
    while (this.queue.length > 0 && !this.blocked) this.blocked = !this.sink.write(this.queue.shift()!);
    if (!this.blocked) this.wake();
  }

  private wake(): void {
    for (const resolve of this.writable) resolve();
    this.writable.clear();
  }
}
