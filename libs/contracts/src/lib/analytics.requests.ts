import { defineRequest } from '@mediamagic/pubsub';
import { z } from 'zod';

export const AnalyticsSummary = defineRequest({
  subject: 'analytics.summary',
  idempotent: true,
  description: 'How many times each event happened on the platform, by event name.',
  request: z.strictObject({}),
  response: z.object({
    counts: z.record(z.string(), z.int().nonnegative()),
    total: z.int().nonnegative(),
    lastEventAt: z.iso.datetime().nullable(),
  }),
});
