import { Inject, Injectable } from '@nestjs/common';
import { IssueVerificationLink } from '@mediamagic/contracts';
import { Database } from '@mediamagic/database';
import { ConflictError, NotFoundError } from '@mediamagic/errors';
import { type ParsedRequestOf, type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import { newVerificationToken, VerificationLinks } from '../users/verification-token';

/**
 * The link of a verification email, made when email-service sends it: an event would keep it in a stream
 * other services read for days. Every call makes a new single-use token, of which only the hash is stored.
 */
@Injectable()
export class IssueVerificationLinkHandler {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(VerificationLinks) private readonly links: VerificationLinks,
  ) {}

  @OnRequest(IssueVerificationLink)
  async issue({ userId }: ParsedRequestOf<typeof IssueVerificationLink>): Promise<ResponseOf<typeof IssueVerificationLink>> {
    const { token, tokenHash } = newVerificationToken();
    await this.db.transaction(async (tx) => {
      // Locked: a verification running meanwhile comes first (this answers 409) or waits for this to commit.
      const [user] = await tx.query<{ verified: boolean }>('select email_verified_at is not null as verified from users where id = $1 for update', [userId]);
      if (!user) throw new NotFoundError('user not found');
      if (user.verified) throw new ConflictError('email is already verified');
      await tx.query(`insert into verification_tokens (token_hash, user_id, expires_at) values ($1, $2, now() + interval '24 hours')`, [tokenHash, userId]);
    });
    return { verificationUrl: this.links.linkFor(token) };
  }
}
