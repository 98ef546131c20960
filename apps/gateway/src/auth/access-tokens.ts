import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';

export const ACCESS_TOKEN_LIFETIME_SECONDS = 60 * 60;
export const TOKEN_ISSUER = 'mediamagic-gateway';
const ALGORITHM = 'HS256';

export const AccessTokenView = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.int().positive().meta({ description: 'seconds until the token expires' }),
});
export type AccessTokenView = z.output<typeof AccessTokenView>;

/** Issues and checks the bearer tokens of the API: HS256 JWTs whose subject is the user id. */
@Injectable()
export class AccessTokens {
  // A KeyObject made once: given raw bytes, jose imports the HMAC key again on every verification
  // (15% of the gateway's busy time under load).
  private readonly key: KeyObject;

  constructor(@Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'JWT_SECRET'>) {
    if (config.JWT_SECRET) {
      this.key = createSecretKey(Buffer.from(config.JWT_SECRET, 'utf8'));
    } else {
      this.key = createSecretKey(randomBytes(32));
      new Logger(AccessTokens.name).warn('JWT_SECRET is not set: using a random secret, so access tokens will not survive a restart');
    }
  }

  async issue(userId: string): Promise<AccessTokenView> {
    const accessToken = await new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(TOKEN_ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TOKEN_LIFETIME_SECONDS}s`)
      .sign(this.key);
    return { accessToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_LIFETIME_SECONDS };
  }

  /** The user id the token was issued to; undefined when it is forged, malformed or expired. */
  async userIdOf(token: string): Promise<string | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM], issuer: TOKEN_ISSUER, requiredClaims: ['sub', 'exp'] });
      return payload.sub;
    } catch {
      return undefined;
    }
  }
}
