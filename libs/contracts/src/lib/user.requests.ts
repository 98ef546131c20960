import { defineRequest } from '@mediamagic/pubsub';
import { z } from 'zod';
import { singleLine } from './text';

/** The public view of a user: never the password hash or a token. */
export const UserView = z.object({
  id: z.uuid(),
  email: z.email(),
  name: z.string(),
  emailVerified: z.boolean(),
  createdAt: z.iso.datetime(),
});

const email = z
  .email()
  .max(254)
  .transform((value) => value.toLowerCase());
// The upper bound keeps the key derivation's cost bounded for a hostile caller.
const password = z.string().min(8, 'must be at least 8 characters').max(200);

export const RegisterUser = defineRequest({
  subject: 'users.register',
  description: 'Creates an unverified user and emits user.registered; 409 when the email is taken.',
  request: z.strictObject({ email, name: singleLine(100), password }),
  response: UserView,
});

export const VerifyEmail = defineRequest({
  subject: 'users.verify',
  description: 'Uses a verification token and emits user.verified; 400 for an unknown, used or expired token.',
  request: z.strictObject({ token: z.string().min(1).max(200) }),
  response: z.object({ id: z.uuid(), email: z.email(), emailVerified: z.literal(true) }),
});

export const AuthenticateUser = defineRequest({
  subject: 'users.authenticate',
  description: 'Checks an email and password; 401 when they do not match a user.',
  request: z.strictObject({ email, password: z.string().min(1).max(200) }),
  response: UserView,
});

export const GetUser = defineRequest({
  subject: 'users.get',
  idempotent: true,
  description: 'One user by id; 404 when unknown.',
  request: z.strictObject({ id: z.uuid() }),
  response: UserView,
});

export const IssueVerificationLink = defineRequest({
  subject: 'users.issue-verification-link',
  description:
    'A new single-use verification link (24 hours) for an unverified user, for the email that carries it; 404 when unknown, 409 when already verified.',
  request: z.strictObject({ userId: z.uuid() }),
  /** `<PUBLIC_URL>/verify?token=<token>`. */
  response: z.object({ verificationUrl: z.url() }),
});
