import { defineEvent } from '@mediamagic/pubsub';
import { z } from 'zod';

const id = z.uuid();
const at = z.iso.datetime();

/**
 * A notification, not the state: it carries no token or link, because the USER stream keeps every event for
 * days and any service with a consumer on it can read them. email-service asks user-service for a fresh link
 * (`users.issue-verification-link`) when it sends the verification email.
 */
export const UserRegistered = defineEvent({
  subject: 'user.registered',
  version: 2,
  delivery: 'at-least-once',
  description: 'A user registered and must verify their email address. Carries no link: ask users.issue-verification-link.',
  // Not strict: version 1 carried `verificationUrl`; those events, still in the stream after an upgrade, are
  // read without it. Fields a publisher adds are dropped before publishing, never sent.
  schema: z.object({
    userId: id,
    email: z.email(),
    name: z.string().min(1),
    registeredAt: at,
  }),
});

export const UserVerified = defineEvent({
  subject: 'user.verified',
  version: 1,
  delivery: 'at-least-once',
  description: 'A user proved they own their email address.',
  schema: z.strictObject({ userId: id, email: z.email(), verifiedAt: at }),
});
