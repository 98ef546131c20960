import { randomUUID } from 'node:crypto';
import { CE, cloudEventHeaders } from './cloudevents';
import { codecOf, dataschemaOf, encodePayload, parsePayload, type EventDefinition, type PayloadOf } from './event-definition';
import { currentContext, TRACE_HEADERS, type MessageContext } from './context';
import { DEADLINE_HEADER } from './deadline';
import type { Delivered } from './transport';
import type { Envelope, Headers, Message } from './message';
import { assertSubject } from './subject';
import { TRACKING_PREFIX, TrackingEventDefinition, type TrackingEvent, type TrackingEventInput } from './tracking-event';

/** What a caller may say about a message it sends; the rest is filled in. */
export interface MessageOptions {
  /** The CloudEvents id; also the de-duplication id in JetStream. Generated when absent. */
  id?: string;
  /** When it happened (`ce-time`); now when absent. An event store passes the time the event was stored. */
  time?: Date;
  headers?: Headers;
  /**
   * What the message inherits from the one that caused it (correlation id, causation, idempotency
   * key, trace): a handler passes `contextOf(message)`. Without it, the PubSub's propagated context, if any.
   */
  context?: MessageContext;
}

/**
 * Every message the library sends is built here, as a CloudEvent in binary mode: one place decides
 * the headers, the encoding and what a message inherits from its context.
 */
export class MessageBuilder {
  constructor(readonly source: string) {}

  /** Raw bytes on `subject`; the CloudEvents type is the subject. */
  bytes(subject: string, data: Uint8Array, options: MessageOptions & { contentType?: string; type?: string } = {}): Envelope {
    assertSubject(subject);
    return { subject, data, headers: this.headers(options.type ?? subject, options.contentType ?? 'application/octet-stream', options) };
  }

  /** A typed event: validated, encoded with its definition's codec, its contract named in `ce-dataschema`. */
  event<D extends EventDefinition>(definition: D, payload: PayloadOf<D>, options: MessageOptions = {}): Envelope {
    return this.encoded(definition.subject, definition, encodePayload(definition, payload), options);
  }

  /** A tracking event on `tracking.<name>`, with its id, source, count, timestamp and labels filled in. */
  tracking(input: TrackingEventInput, options: MessageOptions = {}): { envelope: Envelope; event: TrackingEvent } {
    const event = parsePayload(TrackingEventDefinition, {
      id: input.id ?? randomUUID(),
      name: input.name,
      source: this.source,
      count: input.count ?? 1,
      timestamp: input.timestamp ?? new Date().toISOString(),
      labels: input.labels ?? {},
    });
    const data = encodePayload(TrackingEventDefinition, event);
    return { event, envelope: this.encoded(`${TRACKING_PREFIX}.${event.name}`, TrackingEventDefinition, data, { ...options, id: event.id }) };
  }

  /** A request: its type is its subject, its id fresh, and it carries its caller's deadline. */
  request(subject: string, data: Uint8Array, contentType: string, options: MessageOptions & { deadline: Date }): Envelope {
    assertSubject(subject);
    const headers = { ...options.headers, [DEADLINE_HEADER]: options.deadline.toISOString() };
    return { subject, data, headers: this.headers(subject, contentType, { ...options, headers }) };
  }

  private encoded(subject: string, definition: EventDefinition, data: Uint8Array, options: MessageOptions): Envelope {
    assertSubject(subject);
    const headers = { ...options.headers, [CE.dataschema]: dataschemaOf(definition) };
    return { subject, data, headers: this.headers(subject, codecOf(definition).contentType, { ...options, headers }) };
  }

  private headers(type: string, contentType: string, options: MessageOptions): Headers {
    const context = options.context ?? currentContext();
    return cloudEventHeaders(
      {
        id: options.id,
        type,
        source: this.source,
        time: options.time,
        contentType,
        correlationId: context?.correlationId,
        causationId: context?.causationId,
        idempotencyKey: context?.idempotencyKey,
      },
      withTrace(options.headers, context),
    );
  }
}

/** A delivery as a handler of `group` receives it. */
export function toMessage(delivered: Delivered, group: string): Message {
  const headers = delivered.headers;
  return {
    subject: delivered.subject,
    data: delivered.data,
    headers,
    id: headers[CE.id] ?? '',
    group,
    attempt: delivered.attempt,
    sequence: delivered.sequence,
    replayed: delivered.replayed ?? false,
    correlationId: headers[CE.correlationId],
    idempotencyKey: headers[CE.idempotencyKey],
  };
}

/** The caller's trace headers, unless it set its own. */
function withTrace(headers: Headers | undefined, context: MessageContext | undefined): Headers | undefined {
  if (!context?.traceparent) return headers;
  const trace: Headers = {};
  for (const key of TRACE_HEADERS) if (context[key]) trace[key] = context[key];
  return { ...trace, ...headers };
}
