import { Inject, Injectable, Logger } from '@nestjs/common';
import { ProcessedEvents, type Statement } from '@mediamagic/messaging';
import { contextOf, Limiter, PubSub, type Message, type RetryPolicy } from '@mediamagic/pubsub';
import type { Email } from '../templates';
import { Mailer, SMTP_CONNECTIONS } from './mailer';

/** About ten attempts over two and a half minutes: an SMTP server away for a few seconds (a restart) is ridden out. */
export const MAIL_RETRY: RetryPolicy = { maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 30_000 };

/** How every email handler subscribes: retried for minutes, and several at once (see EmailSender's limit). */
export const MAIL_SUBSCRIPTION = { retry: MAIL_RETRY, concurrency: SMTP_CONNECTIONS };

/** Sends the email an event calls for, once per event however often it is delivered, and logs it. */
@Injectable()
export class EmailSender {
  private readonly logger = new Logger(EmailSender.name);
  // Each send holds a database connection until the server accepted the email: all handlers together
  // send at most this many at once, under the pool's size (AppModule), leaving room for the readiness check.
  private readonly sending = new Limiter(SMTP_CONNECTIONS);

  constructor(
    @Inject(ProcessedEvents) private readonly processed: ProcessedEvents,
    @Inject(Mailer) private readonly mailer: Mailer,
    @Inject(PubSub) private readonly pubsub: PubSub,
  ) {
    // Once the last handler finished sending, not before.
    pubsub.onDrained(async () => mailer.close());
  }

  async sendOnce(message: Message, email: Email): Promise<void> {
    const messageId = `<${message.id.replace(/[^\w.-]/g, '_')}@mediamagic>`;
    // The log row goes with the event's mark, in the same round trip.
    const log: Statement = {
      sql: 'insert into sent_emails (event_id, template, recipient, subject, message_id) select $1, $2, $3, $4, $5 from fresh returning 1',
      params: [message.id, email.template, email.to, email.subject, messageId],
    };
    // The event's mark, the log row and the send commit together: a failed send rolls back and is
    // retried, a redelivery after the commit sends nothing. A crash after the SMTP server accepted and
    // before the commit sends it again, with the same Message-ID: at least once, recognisably.
    let sent = false;
    try {
      await this.sending.run(() =>
        this.processed.once(
          message,
          async () => {
            await this.mailer.send({ to: email.to, subject: email.subject, text: email.text, html: email.html, messageId });
            sent = true;
          },
          log,
        ),
      );
    } catch (error) {
      if (!sent) throw error;
      // The server has the email but the commit failed (the database went away): record it once the
      // database is back, rather than let the redelivery send it a second time.
      await this.recordSent(message, log, error as Error);
    }
    // Published on a redelivery too, in case the last one stopped before it: the id derived from the event
    // makes the broker and analytics drop the repeat. Distinct from the event's own id, which analytics counts too.
    await this.pubsub.publishEvent({ id: `email.sent:${message.id}`, name: 'email.sent', labels: { template: email.template } }, { context: contextOf(message) });
  }

  private async recordSent(message: Message, log: Statement, cause: Error): Promise<void> {
    this.logger.warn(`${message.id}: sent, but not recorded (${cause.message}); recording it as soon as the database answers`);
    const deadline = Date.now() + RECORD_FOR_MS;
    for (;;) {
      try {
        await this.processed.once(message, async () => undefined, log);
        return;
      } catch (error) {
        // Given up: the redelivery sends it again, with the same Message-ID.
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}

/** How long a sent email's record is retried while the database is away, before the event is retried instead. */
const RECORD_FOR_MS = 60_000;
