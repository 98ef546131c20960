import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';

/** Every error of the API has this body. */
export const ErrorBody = z.object({
  statusCode: z.int(),
  message: z.string().meta({ description: 'what is wrong, e.g. which field and why' }),
  details: z.record(z.string(), z.unknown()).optional().meta({ description: 'more the client can act on, when there is any' }),
});

const MEANING: Record<number, string> = {
  400: 'invalid input: the message names the field and the problem',
  401: 'missing, invalid or expired credentials',
  403: 'not allowed',
  404: 'unknown, or not the caller’s',
  409: 'conflicts with the current state',
  429: 'too many requests: try again after the Retry-After header’s seconds',
  413: 'the body is larger than 64 KiB',
  503: 'a service it needs does not answer now; try again later (after Retry-After’s seconds when it is given)',
};

/** Documents the error answers of an operation. */
export function ApiErrors(...statuses: (keyof typeof MEANING)[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: MEANING[status], standardSchema: ErrorBody })));
}

/** Documents the Idempotency-Key header that every POST accepts (see createHttpAdapter and RequestContext). */
export function ApiIdempotencyKey(): MethodDecorator & ClassDecorator {
  return ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1 to 200 visible ASCII characters; a repeat with the same key gets the first answer and causes nothing new',
  });
}
