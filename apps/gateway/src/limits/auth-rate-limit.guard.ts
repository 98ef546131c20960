import { createHash } from 'node:crypto';
import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { clientAddress } from './client-address';
import { tooManyRequests } from './too-many-requests';

/**
 * AUTH_RATE_LIMIT requests a minute per client address to the routes anybody may call (register, verify, log in):
 * @nestjs/throttler's guard, counting in the bucket every replica shares (RateLimitStorage, see LimitsModule).
 */
@Injectable()
export class AuthRateLimitGuard extends ThrottlerGuard {
  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    return Promise.resolve(clientAddress(request as unknown as FastifyRequest));
  }

  // One budget for all the routes it guards, where the library keeps one per route.
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return createHash('sha256').update(`${throttlerName}\n${tracker}`).digest('hex');
  }

  protected override throwThrottlingException(_context: ExecutionContext, limit: ThrottlerLimitDetail): Promise<void> {
    throw tooManyRequests('too many requests from this address; try again later', limit.timeToBlockExpire);
  }
}
