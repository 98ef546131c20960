import { defineEvent } from '@mediamagic/pubsub';
import { z } from 'zod';

const id = z.uuid();
const at = z.iso.datetime();

/** Carries what the verification email needs, so email-service never calls user-service back. */
export const UserRegistered = defineEvent({
  subject: 'user.registered',
  version: 1,
  delivery: 'at-least-once',
  description: 'A user registered and must verify their email address.',
  schema: z.strictObject({
    userId: id,
    email: z.email(),
    name: z.string().min(1),
    /** `<PUBLIC_URL>/verify?token=<token>`: the single-use link, valid 24 hours. */
    verificationUrl: z.url(),
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
