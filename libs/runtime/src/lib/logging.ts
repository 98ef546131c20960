import { Logger as NestLogger } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import type { PubSubObserver } from '@mediamagic/pubsub';
import { CORRELATION_ID } from '@mediamagic/pubsub/telemetry';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import { pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogEnv } from './config';

// Whatever a future log call passes in an object: never a credential, whichever field carries it.
const SECRET_FIELDS = ['password', 'token', 'secret', 'authorization', 'cookie'];
const REDACT = [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`), 'req.headers.authorization', 'req.headers.cookie'];

/**
 * The service's pino logger. Every line has `service`, and, inside a span (a request, a message being
 * processed), `trace_id`, `span_id` and `correlation_id`: one grep for a trace id follows a request across
 * the services. JSON lines by default off a terminal; pretty (pino-pretty) in one.
 */
export function createLogger(service: string, env: LogEnv, destination?: DestinationStream): Logger {
  const format = env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const options = {
    level: env.LOG_LEVEL,
    base: { service },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin: traceFields,
  };
  const stream =
    destination ??
    (format === 'pretty'
      ? pretty({
          sync: true,
          colorize: !process.env['NO_COLOR'],
          ignore: 'pid,hostname,service,context',
          messageFormat: '{if context}[{context}] {end}{msg}',
          translateTime: 'HH:MM:ss.l',
        })
      : pino.destination({ sync: true }));
  return pino(options, stream);
}

/** The ids of the active span and the correlation id of what is being handled (none outside a span). */
export function traceFields(): Record<string, string> {
  const active = context.active();
  const span = trace.getSpanContext(active);
  if (!span) return {};
  const correlationId = active.getValue(CORRELATION_ID);
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    ...(typeof correlationId === 'string' ? { correlation_id: correlationId } : {}),
  };
}

let debugging = false;

/** Sends every Nest logger (`new Logger(context)`, Nest's own lines) to `logger`, the context as a field. */
export function useLogger(logger: Logger): void {
  NestLogger.overrideLogger(new PinoNestLogger(new PinoLogger({ pinoHttp: { logger } }), {}));
  debugging = logger.isLevelEnabled('debug');
}

/** Whether the service logs at debug level: the lines per message and per HTTP answer are not even built otherwise. */
export function debugLogging(): boolean {
  return debugging;
}

/**
 * A debug line per message processed and per request answered, written inside its span: with LOG_LEVEL=debug,
 * grepping a trace id finds each service's part of the request.
 */
export function logMessages(): PubSubObserver {
  const logger = new NestLogger('Messages');
  return {
    process: (next) => async (message) => {
      const began = performance.now();
      const processed = await next(message);
      const outcome = { ack: 'acked', retry: 'to retry', term: 'dead-lettered' }[processed.outcome.kind];
      logger.debug(
        `${message.subject} ${message.id} (group ${message.group}, attempt ${message.attempt}) ${outcome} in ${Math.round(performance.now() - began)} ms`,
      );
      return processed;
    },
    answer: (next) => async (request, group) => {
      const began = performance.now();
      const reply = await next(request, group);
      logger.debug(
        `answered ${request.subject} (group ${group}) with ${reply.headers['reply-status'] ?? 'a value'} in ${Math.round(performance.now() - began)} ms`,
      );
      return reply;
    },
  };
}
