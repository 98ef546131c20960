import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { MessageContext } from '@mediamagic/pubsub';
import type { FastifyRequest } from 'fastify';

/**
 * What every request to a service carries from the HTTP request: its correlation id (`request.id`) and, on a
 * POST, the Idempotency-Key (checked by the adapter's hook): the service stores its first answer under that
 * key, and the events it emits carry it too. Handed to `services.call` explicitly rather than through
 * AsyncLocalStorage, which on Node 20 slows every promise of the process (a third of the gateway's throughput).
 */
export const RequestContext = createParamDecorator((_data: unknown, context: ExecutionContext): MessageContext => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const key = request.method === 'POST' ? request.headers['idempotency-key'] : undefined;
  return { correlationId: request.id, idempotencyKey: typeof key === 'string' ? key : undefined };
});
