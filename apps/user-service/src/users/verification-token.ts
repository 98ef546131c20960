import { createHash, randomBytes } from 'node:crypto';

/** A fresh single-use token (32 random bytes, base64url) and the sha256 that is stored in its place. */
export function newVerificationToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashVerificationToken(token) };
}

// A plain sha256 is enough: the token is 256 random bits, there is nothing to guess.
export function hashVerificationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Builds the link of the verification email from `PUBLIC_URL`. */
export class VerificationLinks {
  constructor(private readonly publicUrl: string) {}

  linkFor(token: string): string {
    return `${this.publicUrl}/verify?token=${encodeURIComponent(token)}`;
  }
}
