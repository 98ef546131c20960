import { request, type IncomingHttpHeaders } from 'node:http';

/** One Server-Sent Event as a client receives it; a comment line is `{ comment }`. */
export interface ServerSentEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comment?: string;
}

export interface SseStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Everything received so far, in order (comments included). */
  readonly events: ServerSentEvent[];
  /** The body of an answer that is not a stream (an error). */
  readonly text: string;
  /** Resolves when the server ended or dropped the stream, or `close()` was called. */
  readonly ended: Promise<void>;
  close(): void;
}

/**
 * Opens `url` as an EventSource would (GET, Accept: text/event-stream), with any headers (Authorization,
 * Last-Event-ID), and parses the frames as they arrive into `events` (and hands each to `onEvent`). Plain node:http, one connection per stream:
 * fetch's pool opens a new idle connection when a stream is aborted, which would hold the server's close.
 */
export function openSse(url: string, headers: Record<string, string> = {}, onEvent?: (event: ServerSentEvent) => void): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (response) => {
      const events: ServerSentEvent[] = [];
      const isStream = response.headers['content-type']?.startsWith('text/event-stream') ?? false;
      let text = '';
      let buffer = '';
      response.setEncoding('utf8');
      const ended = new Promise<void>((done) => {
        response.on('close', done);
        response.on('error', () => done());
      });
      response.on('data', (chunk: string) => {
        if (!isStream) {
          text += chunk;
          return;
        }
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = parseFrame(buffer.slice(0, end));
          events.push(event);
          onEvent?.(event);
          buffer = buffer.slice(end + 2);
        }
      });
      const stream: SseStream = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        events,
        get text() {
          return text;
        },
        ended,
        close: () => outgoing.destroy(),
      };
      if (isStream) resolve(stream);
      else void ended.then(() => resolve(stream));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function parseFrame(frame: string): ServerSentEvent {
  const event: ServerSentEvent = {};
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) event.comment = line.slice(1).trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const field = line.slice(0, colon) as keyof ServerSentEvent;
    const value = line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data' && event.data !== undefined) event.data += `\n${value}`;
    else if (['id', 'event', 'data', 'retry'].includes(field)) event[field] = value;
  }
  return event;
}
