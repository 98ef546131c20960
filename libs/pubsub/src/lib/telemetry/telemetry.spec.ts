import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { waitFor } from '@mediamagic/testing';
import { defineEvent } from '../event-definition';
import { PermanentError } from '../errors';
import { MemoryTransport } from '../memory/memory.transport';
import { PubSub } from '../pubsub';
import { defineRequest } from '../request-definition';
import { messagingMetrics, observeConsumers } from './metrics';
import { CORRELATION_ID, tracing } from './tracing';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const Ordered = defineEvent({ subject: 'shop.ordered', version: 1, schema: z.object({ item: z.string() }), delivery: 'at-least-once' });
const Price = defineRequest({ subject: 'shop.price', request: z.object({ item: z.string() }), response: z.object({ cents: z.number() }) });

const exporter = new InMemorySpanExporter();
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});
afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

const spans = () => exporter.getFinishedSpans();
const named = (name: string) => spans().filter((span) => span.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

function pubsubs(registry = new Registry()) {
  const transport = new MemoryTransport();
  const options = { transport, logger: quiet, observers: [tracing(), messagingMetrics(registry)], retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } };
  return { shop: new PubSub({ service: 'shop', ...options }), mail: new PubSub({ service: 'mail', ...options }), registry };
}

describe('the tracing observer', () => {
  it('makes a send span and, in each group, a process span under it, with the messaging attributes', async () => {
    const { shop, mail } = pubsubs();
    const seen: Array<{ traceparent?: string; correlation: unknown; active?: string }> = [];
    await mail.on(
      Ordered,
      (_payload, message) => {
        seen.push({
          traceparent: message.headers['traceparent'],
          correlation: context.active().getValue(CORRELATION_ID),
          active: trace.getActiveSpan()?.spanContext().spanId,
        });
      },
      { group: 'mail.confirm' },
    );
    await shop.on(Ordered, () => undefined, { group: 'shop.stock' });

    const id = await shop.emit(Ordered, { item: 'tea' }, { context: { correlationId: 'order-1' } });
    await waitFor(() => named('process shop.ordered').length === 2, { timeoutMs: 2_000, message: 'both groups to process it' });

    const [send] = named('send shop.ordered');
    expect(send!.kind).toBe(SpanKind.PRODUCER);
    expect(send!.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': 'shop.ordered', 'messaging.message.id': id });
    const processes = named('process shop.ordered');
    for (const span of processes) {
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.spanContext().traceId).toBe(send!.spanContext().traceId);
      expect(parentOf(span)).toBe(send!.spanContext().spanId);
      expect(span.attributes['messaging.message.id']).toBe(id);
    }
    expect(processes.map((span) => span.attributes['messaging.consumer.group.name']).sort()).toEqual(['mail.confirm', 'shop.stock']);
    // The handler runs in its process span, and its message carries that span as its trace context.
    const confirm = processes.find((span) => span.attributes['messaging.consumer.group.name'] === 'mail.confirm')!;
    expect(seen).toEqual([
      { traceparent: `00-${confirm.spanContext().traceId}-${confirm.spanContext().spanId}-01`, correlation: 'order-1', active: confirm.spanContext().spanId },
    ]);
  });

  it('continues the trace a message carries when nothing is active (an outbox row published by the relay)', async () => {
    const { shop } = pubsubs();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await shop.publish(shop.messages.event(Ordered, { item: 'tea' }, { context: { traceparent } }), { delivery: 'at-least-once' });
    const [send] = named('send shop.ordered');
    expect(send!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(parentOf(send!)).toBe('b7ad6b7169203331');
  });

  it('keeps the active span as parent when the carried traceparent does not parse', async () => {
    const { shop } = pubsubs();
    const active = trace.getTracer('test').startSpan('POST /orders');
    await context.with(trace.setSpan(context.active(), active), async () => {
      await shop.emit(Ordered, { item: 'tea' }, { context: { traceparent: 'not-a-traceparent' } });
    });
    active.end();
    expect(parentOf(named('send shop.ordered')[0]!)).toBe(active.spanContext().spanId);
  });

  it('records a retry and a dead letter as events of the process spans, with the reason', async () => {
    const { shop } = pubsubs();
    await shop.on(Ordered, () => {
      throw new Error('stock service away');
    });
    await shop.on(
      Ordered,
      () => {
        throw new PermanentError('no such item');
      },
      { group: 'shop.strict' },
    );
    await shop.emit(Ordered, { item: 'tea' });
    await waitFor(() => named('process shop.ordered').length === 3, { timeoutMs: 2_000, message: 'two attempts and one dead letter' });

    const events = named('process shop.ordered').map((span) => [
      span.attributes['messaging.consumer.group.name'],
      span.events.map((e) => [e.name, e.attributes?.['reason']]),
    ]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['shop', [['retry', expect.stringContaining('stock service away')]]],
        ['shop', [['dead_letter', expect.stringContaining('stock service away')]]],
        ['shop.strict', [['dead_letter', expect.stringContaining('no such item')]]],
      ]),
    );
    expect(named('process shop.ordered').every((span) => span.status.code === 2)).toBe(true);
  });

  it('makes a client span for a request and a server span for its answer, under it', async () => {
    const { shop, mail } = pubsubs();
    await shop.reply(Price, () => ({ cents: 250 }));
    expect(await mail.request(Price, { item: 'tea' })).toEqual({ cents: 250 });
    const [client] = named('send shop.price');
    const [server] = named('process shop.price');
    expect(client!.kind).toBe(SpanKind.CLIENT);
    expect(server!.kind).toBe(SpanKind.SERVER);
    expect(parentOf(server!)).toBe(client!.spanContext().spanId);
    expect(server!.attributes['messaging.consumer.group.name']).toBe('shop');
  });
});

describe('the metrics observer', () => {
  it('counts what was sent, and each delivery by group and outcome', async () => {
    const { shop, mail, registry } = pubsubs();
    let calls = 0;
    await mail.on(Ordered, () => {
      if (++calls === 1) throw new Error('once');
    });
    await shop.on(Ordered, () => undefined, { group: 'shop.stock.0f8fad5b-d9cb-469f-a165-70867728950e' });
    await shop.emit(Ordered, { item: 'tea' });
    await shop.emit(Ordered, { item: 'cake' });
    const text = async () => registry.metrics();
    await waitFor(async () => (await text()).includes('outcome="retry"') && calls === 3, { timeoutMs: 2_000, message: 'the retry to be done' });

    const metrics = await text();
    expect(metrics).toContain('messaging_client_sent_messages_total{messaging_destination_name="shop.ordered"} 2');
    expect(metrics).toContain(
      'messaging_client_consumed_messages_total{messaging_destination_name="shop.ordered",messaging_consumer_group_name="mail",outcome="ack"} 2',
    );
    expect(metrics).toContain(
      'messaging_client_consumed_messages_total{messaging_destination_name="shop.ordered",messaging_consumer_group_name="mail",outcome="retry"} 1',
    );
    // A live listener's per-process id is not a label value: every start would make new series.
    expect(metrics).toContain('messaging_consumer_group_name="shop.stock",outcome="ack"} 2');
    expect(metrics).toMatch(/messaging_process_duration_seconds_count\{messaging_destination_name="shop.ordered",messaging_consumer_group_name="mail"\} 3/);
  });

  it('reports each durable consumer group pending messages, asked at scrape time', async () => {
    const registry = new Registry();
    const stop = observeConsumers(
      {
        consumerBacklog: async () => [
          { stream: 'SHOP', group: 'mail', pending: 3 },
          { stream: 'SHOP', group: 'mail', pending: 2 },
          { stream: 'SHOP', group: 'shop', pending: 0 },
        ],
      },
      registry,
    );
    const metrics = await registry.metrics();
    stop();
    expect(metrics).toContain('mediamagic_consumer_pending_messages{stream="SHOP",messaging_consumer_group_name="mail"} 5');
    expect(metrics).toContain('mediamagic_consumer_pending_messages{stream="SHOP",messaging_consumer_group_name="shop"} 0');
  });
});
