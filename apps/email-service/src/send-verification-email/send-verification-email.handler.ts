import { Inject, Injectable } from '@nestjs/common';
import { UserRegistered } from '@mediamagic/contracts';
import { type Message, type PayloadOf } from '@mediamagic/pubsub';
import { OnEvent } from '@mediamagic/pubsub/nest';
import { EmailSender, MAIL_SUBSCRIPTION } from '../mail/email-sender';
import { verifyEmail } from '../templates';

/** A new user gets the link that proves they own their address. */
@Injectable()
export class SendVerificationEmailHandler {
  constructor(@Inject(EmailSender) private readonly sender: EmailSender) {}

  @OnEvent(UserRegistered, MAIL_SUBSCRIPTION)
  async userRegistered(user: PayloadOf<typeof UserRegistered>, message: Message): Promise<void> {
    await this.sender.sendOnce(message, verifyEmail(user));
  }
}
