import { Logger } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import { CORRELATION_ID } from '@mediamagic/pubsub/telemetry';
import { debugLogging, metricsRegistry, traceFields } from '@mediamagic/runtime';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Histogram } from 'prom-client';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
// Seconds: a cached read answers in a millisecond, a registration hashes a password (~0.3 s), a request may wait for a service restarting.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The gateway's HTTP side of the observability (PLATFORM.md): `http_server_request_duration_seconds` by method,
 * route template (`/deployments/:id`, never an id) and status; `GET /metrics`; the HTTP span named after its
 * route; and a debug line per answer carrying the request's trace and correlation ids.
 */
export function observeHttp(fastify: FastifyInstance): void {
  const registry = metricsRegistry();
  const duration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status.',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const logger = new Logger('Http');
  const traces = new WeakMap<FastifyRequest, Record<string, string>>();

  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const span = trace.getActiveSpan();
    if (span && route) span.updateName(`${request.method} ${route}`).setAttribute('http.route', route);
    if (debugLogging()) traces.set(request, traceFields());
    // The rest of the request runs with its correlation id in the context, so its log lines carry it (when tracing is on).
    if (span) context.with(context.active().setValue(CORRELATION_ID, request.id), done);
    else done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = METHODS.has(request.method) ? request.method : '_OTHER';
    duration.observe({ http_request_method: method, http_route: route, http_response_status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (!debugLogging()) return done();
    logger.debug({
      msg: `${method} ${route} ${reply.statusCode} in ${Math.round(reply.elapsedTime)} ms`,
      ...traces.get(request),
      correlation_id: request.id,
    });
    done();
  });
  fastify.get('/metrics', async (_request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .type(registry.contentType)
      .send(await registry.metrics()),
  );
}
