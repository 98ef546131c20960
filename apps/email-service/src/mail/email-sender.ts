import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@mediamagic/database';
import { PubSub, type RetryPolicy } from '@mediamagic/pubsub';
import type { Email } from '../templates';
import { Mailer } from './mailer';

/** About ten attempts over two and a half minutes: an SMTP server away for a few seconds (a restart) is ridden out. */
export const MAIL_RETRY: RetryPolicy = { maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 30_000 };

/** Sends the email an event calls for, once per event however often it is delivered, and logs it. */
@Injectable()
export class EmailSender {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(Mailer) private readonly mailer: Mailer,
    @Inject(PubSub) private readonly pubsub: PubSub,
  ) {}

  async sendOnce(eventId: string, email: Email): Promise<void> {
    const sent = await this.db.query('select 1 from sent_emails where event_id = $1', [eventId]);
    if (sent.length === 0) {
      const messageId = `<${eventId.replace(/[^\w.-]/g, '_')}@mediamagic>`;
      await this.mailer.send({ to: email.to, subject: email.subject, text: email.text, html: email.html, messageId });
      // A crash before this line sends the email again on redelivery, with the same Message-ID: at least once, recognisably.
      await this.db.query(
        'insert into sent_emails (event_id, template, recipient, subject, message_id) values ($1, $2, $3, $4, $5) on conflict (event_id) do nothing',
        [eventId, email.template, email.to, email.subject, messageId],
      );
    }
    // Published on a redelivery too, in case the last one stopped before it: the id derived from the event
    // makes the broker and analytics drop the repeat. Distinct from the event's own id, which analytics counts too.
    await this.pubsub.publishEvent({ id: `email.sent:${eventId}`, name: 'email.sent', labels: { template: email.template } });
  }
}
