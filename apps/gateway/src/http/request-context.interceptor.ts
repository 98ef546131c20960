import { BadRequestException, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { runInContext } from '@mediamagic/pubsub';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { isVisibleAscii } from './request-headers';

/**
 * Runs each handler inside the message context, so every request it sends to a service carries the
 * correlation id and, on a POST, the Idempotency-Key: the service stores its first answer under that key
 * and the events it emits carry it too.
 */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const idempotencyKey = request.method === 'POST' ? request.headers['idempotency-key'] : undefined;
    if (idempotencyKey !== undefined && !isVisibleAscii(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 200 visible ASCII characters');
    }
    // Nest binds the handler to the async context current when handle() is called: this one.
    return runInContext({ correlationId: request.id, idempotencyKey }, () => next.handle());
  }
}
