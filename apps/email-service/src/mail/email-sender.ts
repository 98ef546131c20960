import { Inject, Injectable, Logger } from '@nestjs/common';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ProcessedEvents } from '@mediamagic/messaging';
import { contextOf, PubSub, type Message, type RetryPolicy } from '@mediamagic/pubsub';
import pLimit from 'p-limit';
import type { Email } from '../templates';
import { Mailer, SMTP_CONNECTIONS } from './mailer';

/**
 * Twenty attempts over about an hour: an SMTP server that is down or refuses service (a restart, a
 * maintenance window) is waited out, as mail systems wait, instead of its emails being dead-lettered. The
 * delay doubles from 1 s, so a short outage costs seconds, up to 5 minutes (Postfix's first retry), so a
 * server back after a long one is used within 5 minutes. A retried event waits in the broker (a nak with a
 * delay), not in a handler: the long delays hold no SMTP connection and have no ack wait to outlast.
 */
export const MAIL_RETRY: RetryPolicy = { maxAttempts: 20, initialDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

/** How every email handler subscribes: retried for about an hour, and several at once (see EmailSender's limit). */
export const MAIL_SUBSCRIPTION = { retry: MAIL_RETRY, concurrency: SMTP_CONNECTIONS };

/** Sends the email an event calls for, once per event however often it is delivered, and logs it. */
@Injectable()
export class EmailSender {
  private readonly logger = new Logger(EmailSender.name);
  // All handlers together send at most this many at once: one per pooled SMTP connection.
  private readonly sending = pLimit(SMTP_CONNECTIONS);

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
    // Checked, sent, then marked with its log row: no transaction, and no database connection held while
    // the SMTP server answers. A failed send marks nothing and is retried. A crash after the server
    // accepted and before the mark sends it again on the redelivery, with the same Message-ID: at least
    // once, recognisably.
    if (!(await this.processed.seen(message))) {
      await this.sending(() =>
        this.traced(email, () => this.mailer.send({ to: email.to, subject: email.subject, text: email.text, html: email.html, messageId })),
      );
      await this.record(message, messageId, email);
    }
    // Published on a redelivery too, in case the last one stopped before it: the id derived from the event
    // makes the broker and analytics drop the repeat. Distinct from the event's own id, which analytics counts too.
    await this.pubsub.publishEvent(
      { id: `email.sent:${message.id}`, name: 'email.sent', labels: { template: email.template } },
      { context: contextOf(message) },
    );
  }

  /** The handing over to the SMTP server, as a child span of the event's processing (no address in it: personal data). */
  private traced(email: Email, send: () => Promise<void>): Promise<void> {
    return tracer.startActiveSpan('smtp send', { kind: SpanKind.CLIENT, attributes: { 'mediamagic.email.template': email.template } }, async (span) => {
      try {
        await send();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /**
   * Marks the event and logs the email, in one statement. The server has the email: while the database
   * is away this is retried, rather than let the redelivery send it a second time.
   */
  private async record(message: Message, messageId: string, email: Email): Promise<void> {
    const log = () =>
      this.processed.onceInOneStatement(
        message,
        'insert into sent_emails (event_id, template, recipient, subject, message_id) select $1, $2, $3, $4, $5 from fresh',
        [message.id, email.template, email.to, email.subject, messageId],
      );
    const deadline = Date.now() + RECORD_FOR_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await log();
        return;
      } catch (error) {
        if (attempt === 1)
          this.logger.warn(`${message.id}: sent, but not recorded (${(error as Error).message}); recording it as soon as the database answers`);
        // Given up: the redelivery sends it again, with the same Message-ID.
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}

const tracer = trace.getTracer('email-service');

/** How long a sent email's record is retried while the database is away, before the event is retried instead. */
const RECORD_FOR_MS = 60_000;
