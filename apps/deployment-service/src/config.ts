import { BackendServiceEnv } from '@mediamagic/runtime';
import { z } from 'zod';

// setTimeout cannot wait longer (about 24.8 days): a larger delay would fire at once.
const MAX_TIMER_MS = 2_147_483_647;

export const DeploymentConfig = BackendServiceEnv.extend({
  /** How long the simulated provisioning takes. */
  PROVISIONING_DELAY_MS: z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number of milliseconds, 0 or more')
    .transform(Number)
    .refine((ms) => ms <= MAX_TIMER_MS, `must be at most ${MAX_TIMER_MS}`)
    .default(5_000),
});
export type DeploymentConfig = z.output<typeof DeploymentConfig>;
