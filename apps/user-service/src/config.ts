import { CommonEnv, DatabaseEnv, PublicUrlEnv } from '@mediamagic/runtime';
import type { z } from 'zod';

export const UserServiceConfig = CommonEnv.extend(DatabaseEnv.shape).extend(PublicUrlEnv.shape);
export type UserServiceConfig = z.output<typeof UserServiceConfig>;
