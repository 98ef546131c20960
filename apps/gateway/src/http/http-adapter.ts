import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { HttpException } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { InvalidError } from '@mediamagic/errors';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorAnswer } from './error-filter';
import { isVisibleAscii } from './request-headers';

/** The largest request body accepted; larger ones get a 413 before any handler runs. */
export const BODY_LIMIT = 64 * 1024;

/**
 * Fastify with the body limit and the correlation id: the caller's X-Request-Id when it is usable, else a
 * new uuid. It becomes `request.id`, is echoed on every response (errors and 404s too, which is why it is
 * a hook) and travels with the requests to the services (see RequestContext).
 */
export function createHttpAdapter(): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return isVisibleAscii(given) ? given : randomUUID();
    },
    frameworkErrors: answerUnroutable,
    clientErrorHandler: answerUnparsable,
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
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

/** A URL Fastify cannot route (malformed, a parameter over its length limit): Nest never sees it, so it is shaped here. */
function answerUnroutable(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer = errorAnswer(new HttpException(error.message, error.statusCode ?? 400));
  void reply.code(answer.statusCode).header('x-request-id', request.id).send(answer);
}

/** A request Node cannot parse at all (broken HTTP, headers over the limit, too slow): only the socket is left to answer on. */
function answerUnparsable(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const statusCode = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify(errorAnswer(new HttpException(STATUS_CODES[statusCode]!, statusCode)));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
