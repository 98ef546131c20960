import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = () => trace.getTracer('@mediamagic/database');

/**
 * A client span per statement of the embedded database, as instrumentation-pg makes them for PostgreSQL (PGlite
 * runs in the process, no driver to instrument). Only inside a span: the relay's polling makes no traces of its own.
 * Without the OpenTelemetry SDK there is no active span, and this costs one lookup.
 */
export function traced<T>(sql: string, work: () => Promise<T>): Promise<T> {
  if (!trace.getSpan(context.active())) return work();
  const operation = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
  // Named as instrumentation-pg names its spans (`pg.query:INSERT <database>`), so both engines read alike.
  const span = tracer().startSpan(`pglite.query:${operation}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system.name': 'postgresql', 'db.namespace': 'embedded', 'db.operation.name': operation, 'db.query.text': sql },
  });
  return context.with(trace.setSpan(context.active(), span), work).then(
    (result) => {
      span.end();
      return result;
    },
    (error: Error) => {
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      span.end();
      throw error;
    },
  );
}
