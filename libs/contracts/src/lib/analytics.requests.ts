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

/** The intervals a series is counted in; per minute is what analytics-service keeps. */
export const SERIES_INTERVALS = ['minute'] as const;
/** A chart spans at most a day of minutes. */
export const MAX_SERIES_POINTS = 1_440;

const SeriesPoint = z.object({
  /** The interval's start (ISO-8601, UTC). */
  start: z.iso.datetime(),
  count: z.int().nonnegative(),
  /** With `label`: the count per value of that label in this interval (values seen only). */
  values: z.record(z.string(), z.int().nonnegative()).optional(),
});

export const AnalyticsSeries = defineRequest({
  subject: 'analytics.series',
  description:
    'How many times one event happened per interval, oldest first, for a chart; by the values of one of its labels when `label` is given. ' +
    'Spans `from` to `to` (default: the last hour), at most a day. An event, or a label of it, that was never counted is a 400.',
  request: z
    .strictObject({
      name: z.string().min(1).max(200),
      interval: z.enum(SERIES_INTERVALS),
      label: z.string().min(1).max(64).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
    })
    .refine(({ from, to }) => !from || !to || Date.parse(from) <= Date.parse(to), { message: 'from must not be after to', path: ['from'] })
    .refine(({ from, to }) => !from || !to || Date.parse(to) - Date.parse(from) < MAX_SERIES_POINTS * 60_000, {
      message: `a series spans at most ${MAX_SERIES_POINTS} minutes`,
      path: ['to'],
    }),
  response: z.object({
    name: z.string(),
    interval: z.enum(SERIES_INTERVALS),
    label: z.string().optional(),
    points: z.array(SeriesPoint),
  }),
});
