import { LiveClient, type CloseReason, type LiveSink } from './live-client';
import { KEEP_ALIVE, type LiveEvent } from './live-event';

export interface LiveHubOptions {
  /** How often every open stream gets a comment line. */
  keepAliveMs: number;
  /** Frames a client may have waiting before it is disconnected. */
  queueLimit: number;
  onClose?: (client: LiveClient, reason: CloseReason) => void;
}

/**
 * The open live streams of this gateway process, by owner: the shared feed hands each event to the hub, which
 * passes it to the streams of that event's owner only.
 */
export class LiveHub {
  private readonly byOwner = new Map<string, Set<LiveClient>>();
  private readonly keepAlive: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: LiveHubOptions) {
    this.keepAlive = setInterval(() => this.forEach((client) => client.send(KEEP_ALIVE)), options.keepAliveMs);
    this.keepAlive.unref();
  }

  get size(): number {
    let size = 0;
    for (const clients of this.byOwner.values()) size += clients.size;
    return size;
  }

  /** How many streams `ownerId` has open here. */
  countOf(ownerId: string): number {
    return this.byOwner.get(ownerId)?.size ?? 0;
  }

  get stopping(): boolean {
    return this.stopped;
  }

  /** A new stream of `ownerId`'s events; `resumeAfter` when the client sent a Last-Event-ID. */
  open(ownerId: string, sink: LiveSink, resumeAfter?: number): LiveClient {
    const client = new LiveClient(ownerId, sink, this.options.queueLimit, (closed, reason) => this.remove(closed, reason), resumeAfter);
    let clients = this.byOwner.get(ownerId);
    if (!clients) this.byOwner.set(ownerId, (clients = new Set()));
    clients.add(client);
    return client;
  }

  dispatch(event: LiveEvent): void {
    const clients = this.byOwner.get(event.ownerId);
    if (clients) for (const client of clients) client.deliver(event);
  }

  /** Ends every stream, and no new one opens: the gateway stops, and its clients reconnect to another replica. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.keepAlive);
    this.forEach((client) => client.close('stopping'));
  }

  private remove(client: LiveClient, reason: CloseReason): void {
    const clients = this.byOwner.get(client.ownerId);
    clients?.delete(client);
    if (clients?.size === 0) this.byOwner.delete(client.ownerId);
    this.options.onClose?.(client, reason);
  }

  private forEach(action: (client: LiveClient) => void): void {
    for (const clients of [...this.byOwner.values()]) for (const client of [...clients]) action(client);
  }
}
