import { BackendServiceEnv, PublicUrlEnv } from '@mediamagic/runtime';
import { z } from 'zod';

export const UserServiceConfig = BackendServiceEnv.extend(PublicUrlEnv.shape).extend({
  // Passwords hashed at once (scrypt, ~260 ms of a core each); unset, the cores, at most 4 (users/password-queue.ts).
  SCRYPT_CONCURRENCY: z.coerce.number<string>().int('must be a whole number').min(1, 'must be from 1 to 64').max(64, 'must be from 1 to 64').optional(),
});
export type UserServiceConfig = z.output<typeof UserServiceConfig>;
