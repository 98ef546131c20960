import { randomBytes, webcrypto } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { BoundedMap } from '../support/bounded-map';

export const ACCESS_TOKEN_LIFETIME_SECONDS = 60 * 60;
export const TOKEN_ISSUER = 'mediamagic-gateway';
const ALGORITHM = 'HS256';
const VERIFIED_CAPACITY = 10_000;

export const AccessTokenView = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.int().positive().meta({ description: 'seconds until the token expires' }),
});
export type AccessTokenView = z.output<typeof AccessTokenView>;

/** Who a valid access token speaks for. */
export interface Caller {
  id: string;
  /** The address, when it was verified before the token was issued (OIDC's `email` and `email_verified`). */
  verifiedEmail?: string;
}

/**
 * Issues and checks the bearer tokens of the API: HS256 JWTs whose subject is the user id. A verified
 * address is in the token too: it never becomes unverified, and POST /deployments then needs no call
 * to user-service.
 */
@Injectable()
export class AccessTokens {
  // A WebCrypto key imported once: given bytes or a KeyObject, jose imports one again for every
  // verification (15% of the gateway's busy time under load).
  private readonly key: Promise<webcrypto.CryptoKey>;
  // A token's signature and claims cannot change, so each is checked once until it expires: a client
  // sends the same token with every request.
  private readonly verified = new BoundedMap<string, { caller: Caller; expiresAt: number }>(VERIFIED_CAPACITY);

  constructor(@Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'JWT_SECRET'>) {
    const secret = config.JWT_SECRET ? Buffer.from(config.JWT_SECRET, 'utf8') : randomBytes(32);
    this.key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    if (!config.JWT_SECRET) {
      new Logger(AccessTokens.name).warn('JWT_SECRET is not set: using a random secret, so access tokens will not survive a restart');
    }
  }

  async issue(user: { id: string; email: string; emailVerified: boolean }): Promise<AccessTokenView> {
    const accessToken = await new SignJWT(user.emailVerified ? { email: user.email, email_verified: true } : {})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(TOKEN_ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TOKEN_LIFETIME_SECONDS}s`)
      .sign(await this.key);
    return { accessToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_LIFETIME_SECONDS };
  }

  /** Who the token was issued to; undefined when it is forged, malformed or expired. */
  async callerOf(token: string): Promise<Caller | undefined> {
    const known = this.knownCallerOf(token);
    if (known) return known;
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: [ALGORITHM], issuer: TOKEN_ISSUER, requiredClaims: ['sub', 'exp'] });
      const verifiedEmail = payload['email_verified'] === true && typeof payload['email'] === 'string' ? payload['email'] : undefined;
      const caller = { id: payload.sub!, ...(verifiedEmail ? { verifiedEmail } : {}) };
      this.verified.put(token, { caller, expiresAt: payload.exp! * 1000 });
      return caller;
    } catch {
      return undefined;
    }
  }

  /** The caller of a token that was verified before and has not expired since; undefined otherwise. */
  knownCallerOf(token: string): Caller | undefined {
    const known = this.verified.get(token);
    return known && known.expiresAt > Date.now() ? known.caller : undefined;
  }
}
