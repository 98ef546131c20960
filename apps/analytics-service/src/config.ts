import { CommonEnv, DatabaseEnv } from '@mediamagic/runtime';
import type { z } from 'zod';

export const AnalyticsConfig = CommonEnv.extend(DatabaseEnv.shape);
export type AnalyticsConfig = z.output<typeof AnalyticsConfig>;
