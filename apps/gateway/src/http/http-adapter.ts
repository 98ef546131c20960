import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { InvalidError } from '@mediamagic/errors';
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
