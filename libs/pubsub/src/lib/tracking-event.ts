import { z } from 'zod';
import { defineEvent } from './event-definition';

/**
 * A tracking event counts how many times something happened across the platform; analytics
 * sums `count` per `name`, sliced by `labels`.
 */
export const TrackingEventSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/, 'dot-separated lower-case tokens'),
  source: z.string().min(1),
  count: z.number().int().positive(),
  timestamp: z.iso.datetime(),
  // Bounded: labels are dimensions to count by, not a place for payloads.
  labels: z.record(z.string().max(64), z.string().max(256)).refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels'),
});

export type TrackingEvent = z.infer<typeof TrackingEventSchema>;

export type TrackingEventInput = Pick<TrackingEvent, 'name'> & Partial<Omit<TrackingEvent, 'name' | 'source'>>;

export const TRACKING_PREFIX = 'tracking';

/** The contract of tracking events; its subject stands for the whole `tracking.>` family. */
export const TrackingEventDefinition = defineEvent({
  subject: TRACKING_PREFIX,
  version: 1,
  schema: TrackingEventSchema,
  delivery: 'at-least-once',
  description: 'Something happened `count` times; published on tracking.<name>.',
});
