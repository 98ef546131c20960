import { Inject, Injectable } from '@nestjs/common';
import { UserVerified, VerifyEmail } from '@mediamagic/contracts';
import { Database, once } from '@mediamagic/database';
import { InvalidError } from '@mediamagic/errors';
import { Outbox } from '@mediamagic/messaging';
import { contextOf, type Message, type ResponseOf, type ParsedRequestOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import { hashVerificationToken } from '../users/verification-token';

type Verification = ParsedRequestOf<typeof VerifyEmail>;

const ALREADY_USED = 'this verification link was already used';

@Injectable()
export class VerifyEmailHandler {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(Outbox) private readonly outbox: Outbox,
  ) {}

  @OnRequest(VerifyEmail)
  async verify({ token }: Verification, message: Message): Promise<ResponseOf<typeof VerifyEmail>> {
    const tokenHash = hashVerificationToken(token);
    const { result } = await once(this.db, 'users.verify', message.idempotencyKey, { token }, async (tx) => {
      // Locked: of two clicks at once, the second waits and then finds the link used. Once the address is
      // verified, every other link of the user counts as used too: each verification email had its own.
      const [found] = await tx.query<{ user_id: string; used: boolean; expired: boolean }>(
        `select t.user_id, t.used_at is not null or u.email_verified_at is not null as used, t.expires_at <= now() as expired
         from verification_tokens t join users u on u.id = t.user_id where t.token_hash = $1 for update of t`,
        [tokenHash],
      );
      if (!found) throw new InvalidError('unknown verification token');
      if (found.used) throw new InvalidError(ALREADY_USED);
      if (found.expired) throw new InvalidError('this verification link has expired');
      await tx.query('update verification_tokens set used_at = now() where token_hash = $1', [tokenHash]);
      // Another link of the same user clicked at the same instant waits here for the first, then finds it verified.
      const [user] = await tx.query<{ id: string; email: string; email_verified_at: Date }>(
        'update users set email_verified_at = now() where id = $1 and email_verified_at is null returning id, email, email_verified_at',
        [found.user_id],
      );
      if (!user) throw new InvalidError(ALREADY_USED);
      const verified = { id: user.id, email: user.email, verifiedAt: user.email_verified_at.toISOString() };
      const event = { userId: verified.id, email: verified.email, verifiedAt: verified.verifiedAt };
      await this.outbox.emit(tx, UserVerified, event, { context: contextOf(message) });
      return verified;
    });
    return { id: result.id, email: result.email, emailVerified: true };
  }
}
