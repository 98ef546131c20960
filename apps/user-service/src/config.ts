import { BackendServiceEnv, PublicUrlEnv } from '@mediamagic/runtime';
import type { z } from 'zod';

export const UserServiceConfig = BackendServiceEnv.extend(PublicUrlEnv.shape);
export type UserServiceConfig = z.output<typeof UserServiceConfig>;
