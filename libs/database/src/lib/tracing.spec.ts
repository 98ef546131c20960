import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { openDatabase } from './open-database';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('the embedded database under tracing', () => {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('makes a client span per statement inside a span, in transactions too, and none outside one', async () => {
    const db = await openDatabase({ directory: 'memory://', migrations: [{ id: '001_notes', sql: 'create table notes (text text)' }], logger: quiet });
    try {
      await db.query('select 1');
      expect(exporter.getFinishedSpans()).toEqual([]);

      const parent = trace.getTracer('test').startSpan('process note.added');
      await context.with(trace.setSpan(context.active(), parent), async () => {
        await db.transaction((tx) => tx.query('insert into notes (text) values ($1)', ['secret text']));
        await db.query('select count(*) from notes');
      });
      parent.end();

      const spans = exporter.getFinishedSpans().filter((span) => span !== (parent as unknown));
      expect(spans.map((span) => span.name)).toEqual(expect.arrayContaining(['pglite.query:INSERT', 'pglite.query:SELECT']));
      for (const span of spans.filter((it) => it.name.startsWith('pglite'))) {
        expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
        expect(span.attributes['db.system.name']).toBe('postgresql');
      }
      // The statement, never its parameters.
      expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain('secret text');
    } finally {
      await db.close();
    }
  });
});
