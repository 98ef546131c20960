import { Inject, Injectable } from '@nestjs/common';
import { IssueVerificationLink, UserRegistered } from '@mediamagic/contracts';
import { kindOfStatus } from '@mediamagic/errors';
import { contextOf, PermanentError, PubSub, RemoteError, type Message, type PayloadOf } from '@mediamagic/pubsub';
import { OnEvent } from '@mediamagic/pubsub/nest';
import { EmailSender, MAIL_SUBSCRIPTION } from '../mail/email-sender';
import { verifyEmail } from '../templates';

// An email, once sent, has left the platform: a replayed event must not send it again, even on an empty database.
const EMAIL = { ...MAIL_SUBSCRIPTION, effects: 'external' } as const;

/**
 * A new user gets the link that proves they own their address. The event carries no link (its stream keeps
 * it for days, readable by other services), so user-service makes one for the email when it is sent. A
 * redelivery asks again: EmailSender sends nothing when the email went out already, and when the crash came
 * between sending and marking it sends it again under the same Message-ID, which mail clients show once.
 */
@Injectable()
export class SendVerificationEmailHandler {
  constructor(
    @Inject(EmailSender) private readonly sender: EmailSender,
    @Inject(PubSub) private readonly pubsub: PubSub,
  ) {}

  @OnEvent(UserRegistered, EMAIL)
  async userRegistered(user: PayloadOf<typeof UserRegistered>, message: Message): Promise<void> {
    const link = await this.verificationLink(user.userId, message);
    if (link) await this.sender.sendOnce(message, verifyEmail(user, link));
  }

  /** A new link, or none when the address is verified already: a replay after the user followed the first. */
  private async verificationLink(userId: string, message: Message): Promise<string | undefined> {
    try {
      return (await this.pubsub.request(IssueVerificationLink, { userId }, { context: contextOf(message) })).verificationUrl;
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      const kind = kindOfStatus(error.statusCode);
      if (kind === 'conflict') return undefined;
      // No retry makes an unknown user known: to the dead letters with the reason.
      if (kind === 'not-found' || kind === 'invalid') throw new PermanentError(`no verification link for user ${userId}: ${error.message}`, { cause: error });
      // user-service is away, starting or overloaded: retried with the mail policy's backoff.
      throw error;
    }
  }
}
