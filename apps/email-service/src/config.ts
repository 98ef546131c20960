import { BackendServiceEnv, urlVariable } from '@mediamagic/runtime';
import { z } from 'zod';

export const DEFAULT_MAIL_FROM = 'Media Magic <no-reply@mediamagic.local>';

/** `ada@example.com` or `Ada Lovelace <ada@example.com>`. */
export function isMailbox(value: string): boolean {
  const address = /^[^<>]*<([^<>]+)>$/.exec(value)?.[1] ?? value;
  return z.email().safeParse(address.trim()).success;
}

export const EmailConfig = BackendServiceEnv.extend({
  // The check never echoes the value: the URL may carry the SMTP password.
  SMTP_URL: urlVariable(['smtp:', 'smtps:'], 'SMTP').optional(),
  MAIL_FROM: z.string().trim().refine(isMailbox, 'must be an address or "Name <address>"').default(DEFAULT_MAIL_FROM),
});
export type EmailConfig = z.output<typeof EmailConfig>;
