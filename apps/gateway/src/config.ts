import { CommonEnv } from '@mediamagic/runtime';
import { z } from 'zod';

export const GatewayConfig = CommonEnv.extend({
  PORT: z.coerce.number<string>().int('must be a whole number').min(1, 'must be from 1 to 65535').max(65535, 'must be from 1 to 65535').default(3000),
  // Unset means a random secret per process (see AccessTokens); a short one would be guessable.
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
});
export type GatewayConfig = z.output<typeof GatewayConfig>;

/** The Nest token of the parsed configuration. */
export const GATEWAY_CONFIG = Symbol('GatewayConfig');
