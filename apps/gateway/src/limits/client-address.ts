import { isIP } from 'node:net';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { InvalidError } from '@mediamagic/errors';
import type { FastifyRequest } from 'fastify';

/**
 * Whom a limit counts: the client's address, which is the socket's peer or, with TRUST_PROXY, the right-most
 * X-Forwarded-For hop that is not a trusted proxy (Fastify's `request.ip`). An IPv6 address stands for its /64,
 * which one host usually holds whole.
 */
export function clientAddress(request: Pick<FastifyRequest, 'ip'>): string {
  // Only a proxy that is trusted by mistake passes on something else: counting it would let a client pick its own key.
  if (isIP(request.ip) === 0) throw new InvalidError('X-Forwarded-For must list IP addresses');
  return normalizeIp(request.ip);
}

/** The client's address (see clientAddress), as a handler's parameter. */
export const ClientAddress = createParamDecorator((_data: unknown, context: ExecutionContext): string =>
  clientAddress(context.switchToHttp().getRequest<FastifyRequest>()),
);
