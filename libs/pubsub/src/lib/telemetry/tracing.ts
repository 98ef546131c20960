import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { CE } from '../cloudevents';
import type { Envelope, Headers } from '../message';
import type { PubSubObserver } from '../pubsub-options';

/** The correlation id of the message or request being handled, in the OpenTelemetry context: log lines read it. */
export const CORRELATION_ID = createContextKey('mediamagic.correlation_id');

const tracer = () => trace.getTracer('@mediamagic/pubsub');

/**
 * OpenTelemetry spans following the messaging conventions (there is no NATS instrumentation for Node):
 * a producer span `send <subject>` per publish, a consumer span `process <subject>` per delivery in each
 * group (its retry or dead letter an event with the reason), and client and server spans around a
 * request and its answer. Each message leaves with the `traceparent` of its own span, so the next one
 * is its child; the message a handler sees carries its processing span's, so what the handler stores
 * or sends with `contextOf(message)` (an outbox row, a later event) joins the same trace.
 */
export function tracing(): PubSubObserver {
  return {
    publish: (next) => async (envelope, delivery) => {
      const span = tracer().startSpan(
        `send ${envelope.subject}`,
        { kind: SpanKind.PRODUCER, attributes: { ...attributesOf(envelope, 'send'), 'messaging.operation.type': 'send' } },
        parentOf(envelope.headers),
      );
      return finish(span, () => next(carrying(envelope, span), delivery));
    },

    process: (next) => async (message) => {
      const parent = propagation.extract(ROOT_CONTEXT, message.headers);
      const span = tracer().startSpan(
        `process ${message.subject}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            ...attributesOf(message, 'process'),
            'messaging.operation.type': 'process',
            'messaging.consumer.group.name': message.group,
            'messaging.nats.message.delivery_count': message.attempt,
          },
        },
        parent,
      );
      try {
        const processed = await context.with(withCorrelation(trace.setSpan(parent, span), message.correlationId), () =>
          next({ ...message, headers: carrying(message, span).headers }),
        );
        if (processed.outcome.kind === 'retry')
          span.addEvent('retry', { 'messaging.retry.delay_ms': processed.outcome.delayMs, reason: processed.error ?? '' });
        if (processed.outcome.kind === 'term') span.addEvent('dead_letter', { reason: processed.error ?? '' });
        if (processed.error) span.setStatus({ code: SpanStatusCode.ERROR, message: processed.error });
        return processed;
      } finally {
        span.end();
      }
    },

    request: (next) => async (request) => {
      const span = tracer().startSpan(
        `send ${request.subject}`,
        { kind: SpanKind.CLIENT, attributes: { ...attributesOf(request, 'send'), 'messaging.operation.type': 'send' } },
        parentOf(request.headers),
      );
      return finish(span, async () => {
        const reply = await next(carrying(request, span));
        failedWith(span, reply.headers['reply-status']);
        return reply;
      });
    },

    answer: (next) => async (request, group) => {
      const parent = propagation.extract(ROOT_CONTEXT, request.headers);
      const span = tracer().startSpan(
        `process ${request.subject}`,
        {
          kind: SpanKind.SERVER,
          attributes: { ...attributesOf(request, 'process'), 'messaging.operation.type': 'process', 'messaging.consumer.group.name': group },
        },
        parent,
      );
      return finish(span, async () => {
        const ctx = withCorrelation(trace.setSpan(parent, span), request.headers[CE.correlationId] ?? request.headers[CE.id]);
        const reply = await context.with(ctx, () => next(carrying(request, span), group));
        failedWith(span, reply.headers['reply-status']);
        return reply;
      });
    },
  };
}

function attributesOf(envelope: Envelope, operation: string): Attributes {
  return {
    'messaging.system': 'nats',
    'messaging.destination.name': envelope.subject,
    'messaging.operation.name': operation,
    'messaging.message.id': envelope.headers[CE.id] ?? '',
    'messaging.message.body.size': envelope.data.byteLength,
    ...(envelope.headers[CE.correlationId] ? { 'messaging.message.conversation_id': envelope.headers[CE.correlationId] } : {}),
  };
}

/**
 * The span a message's send belongs under: the active one, unless the message carries a trace of its own
 * (an outbox row's, stored with the request that wrote it; a later event's, sent with its deployment's
 * context): a relay or a timer has no active span, or one of another request's.
 */
function parentOf(headers: Headers): Context {
  const active = context.active();
  if (!headers['traceparent']) return active;
  const carried = propagation.extract(ROOT_CONTEXT, headers);
  const carriedTrace = trace.getSpanContext(carried)?.traceId;
  // A header that does not parse (a client's) starts nothing: the active span stays the parent.
  if (carriedTrace === undefined || carriedTrace === trace.getSpanContext(active)?.traceId) return active;
  return carried;
}

/** The envelope with `span` as its trace context (replacing the one it had). */
function carrying<E extends Envelope>(envelope: E, span: Span): E {
  const headers: Headers = { ...envelope.headers };
  delete headers['traceparent'];
  delete headers['tracestate'];
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  return { ...envelope, headers };
}

function withCorrelation(ctx: Context, correlationId: string | undefined): Context {
  return correlationId ? ctx.setValue(CORRELATION_ID, correlationId) : ctx;
}

async function finish<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** A reply with an error status (`reply-status`, see reply-protocol.ts) fails its span. */
function failedWith(span: Span, status: string | undefined): void {
  if (status === undefined) return;
  span.setAttribute('mediamagic.reply.status', Number(status));
  if (Number(status) >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `reply status ${status}` });
}
