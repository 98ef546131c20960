import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { HttpException } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { InvalidError } from '@mediamagic/errors';
import type { FastifyError, FastifyReply, FastifyRequest, onSendHookHandler, RouteOptions } from 'fastify';
import { DOCS_PATH } from '../docs/docs';
import type { GatewayConfig } from '../config';
import { errorAnswer } from './error-filter';
import { jsonBodyParser } from './json-body';
import { isVisibleAscii } from './request-headers';

/** The largest request body accepted; larger ones get a 413 before any handler runs. */
export const BODY_LIMIT = 64 * 1024;

// No browser may guess another type than the one an answer declares (a JSON error read as HTML, say).
const NOSNIFF = { 'x-content-type-options': 'nosniff' };

/**
 * The policy of an HTML answer that sets none (the API docs): scripts, styles and data only from the gateway itself
 * (the docs' styles are partly inline), no plugin, no form, no framing. The /verify page sets a stricter one.
 */
export const HTML_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Fastify with the body limit, JSON bodies only (jsonBodyParser; any other type is a 415, so a cross-site form
 * reaches no route), the client's address (`request.ip`, through the proxies TRUST_PROXY trusts), and the
 * correlation id: the caller's X-Request-Id when it is usable, else a new uuid. It becomes `request.id`, is echoed
 * on every response (errors and 404s too, which is why it is a hook) and travels with the requests to the services
 * (see RequestContext).
 */
export function createHttpAdapter(config: Pick<GatewayConfig, 'TRUST_PROXY'>): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    trustProxy: config.TRUST_PROXY,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return isVisibleAscii(given) ? given : randomUUID();
    },
    frameworkErrors: answerUnroutable,
    clientErrorHandler: answerUnparsable,
  });
  const fastify = adapter.getInstance();
  // Fastify reads text/plain too, and Nest would add forms: only JSON is left, and Nest adds nothing once a parser is set.
  fastify.removeAllContentTypeParsers();
  adapter.useBodyParser('application/json', false, { bodyLimit: BODY_LIMIT }, jsonBodyParser(fastify));
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff');
    done();
  });
  // The API docs are the HTML pages that set no policy of their own (the /verify page sets a stricter one): theirs
  // is added by a hook on their routes alone, so the API's answers pay nothing for it.
  fastify.addHook('onRoute', (route) => {
    if (route.url === DOCS_URL || route.url.startsWith(`${DOCS_URL}/`)) route.onSend = [...hooksOf(route.onSend), withHtmlPolicy];
  });
  // A keep-alive connection still busy when the stop began would stay open after its last answer, and hold the stop
  // until its client lets go: once stopping, every answer closes its connection.
  let stopping = false;
  fastify.addHook('preClose', (done) => {
    stopping = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (stopping) void reply.header('connection', 'close');
    done(null, payload);
  });
  // Checked before any guard or handler, on every POST, as the API documents it (ApiIdempotencyKey).
  // The error goes through Fastify's error handler, which is Nest's, so ErrorFilter shapes the answer.
  fastify.addHook('preHandler', (request, _reply, done) => {
    const idempotencyKey = request.method === 'POST' ? request.headers['idempotency-key'] : undefined;
    if (idempotencyKey !== undefined && !isVisibleAscii(idempotencyKey)) {
      done(new InvalidError('Idempotency-Key must be 1 to 200 visible ASCII characters'));
      return;
    }
    done();
  });
  return adapter;
}

const DOCS_URL = `/${DOCS_PATH}`;

function hooksOf(hooks: RouteOptions['onSend']): onSendHookHandler[] {
  if (!hooks) return [];
  return (Array.isArray(hooks) ? hooks : [hooks]) as onSendHookHandler[];
}

const withHtmlPolicy: onSendHookHandler = (_request, reply, payload, done) => {
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && type.startsWith('text/html') && !reply.hasHeader('content-security-policy')) {
    void reply.header('content-security-policy', HTML_CONTENT_SECURITY_POLICY);
  }
  done(null, payload);
};

/** A URL Fastify cannot route (malformed, a parameter over its length limit): Nest never sees it, so it is shaped here. */
function answerUnroutable(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer = errorAnswer(new HttpException(error.message, error.statusCode ?? 400));
  void reply.code(answer.statusCode).header('x-request-id', request.id).headers(NOSNIFF).send(answer);
}

/** A request Node cannot parse at all (broken HTTP, headers over the limit, too slow): only the socket is left to answer on. */
function answerUnparsable(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const statusCode = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify(errorAnswer(new HttpException(STATUS_CODES[statusCode]!, statusCode)));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
