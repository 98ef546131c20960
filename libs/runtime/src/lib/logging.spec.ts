import { Writable } from 'node:stream';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { CORRELATION_ID } from '@mediamagic/pubsub/telemetry';
import { createLogger, useLogger } from './logging';

/** The lines a logger wrote, parsed. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('the service logger', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider());
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('writes JSON lines with the service, and inside a span its trace and span ids and the correlation id', () => {
    const { lines, stream } = capture();
    const logger = createLogger('email-service', { LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, stream);
    logger.info('outside');
    const span = trace.getTracer('test').startSpan('process deployment.created');
    context.with(trace.setSpan(context.active(), span).setValue(CORRELATION_ID, 'corr-1'), () => logger.info('inside'));
    span.end();

    expect(lines[0]).toMatchObject({ level: 'info', service: 'email-service', msg: 'outside', time: expect.any(String) });
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({ msg: 'inside', trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, correlation_id: 'corr-1' });
  });

  it('takes Nest loggers over, with their context, and hides credentials passed in an object', () => {
    const { lines, stream } = capture();
    useLogger(createLogger('gateway', { LOG_LEVEL: 'debug' }, stream));
    try {
      new Logger('Http').debug({ msg: 'login', password: 'hunter2', headers: { authorization: 'Bearer abc' } });
      new Logger('Auth').warn('slow down');
    } finally {
      Logger.overrideLogger(new ConsoleLogger());
    }
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'debug',
        service: 'gateway',
        context: 'Http',
        msg: 'login',
        password: '[redacted]',
        headers: { authorization: '[redacted]' },
      }),
      expect.objectContaining({ level: 'warn', context: 'Auth', msg: 'slow down' }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|Bearer abc/);
  });

  it('leaves out what is below LOG_LEVEL', () => {
    const { lines, stream } = capture();
    const logger = createLogger('gateway', { LOG_LEVEL: 'warn' }, stream);
    logger.info('chatty');
    logger.warn('worth it');
    expect(lines.map((line) => line['msg'])).toEqual(['worth it']);
  });
});
