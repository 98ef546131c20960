import { BackendServiceEnv } from '@mediamagic/runtime';
import type { z } from 'zod';

export const AnalyticsConfig = BackendServiceEnv;
export type AnalyticsConfig = z.output<typeof AnalyticsConfig>;
