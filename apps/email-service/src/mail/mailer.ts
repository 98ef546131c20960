import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { PermanentError } from '@mediamagic/pubsub';
import { createTransport, type NodemailerError } from 'nodemailer';

export interface MailOptions {
  /** `address` or `Name <address>`. */
  from: string;
  /** `smtp://` or `smtps://`, possibly with `user:password@`; without it each message becomes an .eml file in `directory`. */
  smtpUrl?: string;
  directory: string;
  /** Overrides of SMTP_TIMEOUTS: tests wait less for a server that does not answer. */
  timeouts?: Partial<SmtpTimeouts>;
}

/** nodemailer's waits, in ms: connecting (the greeting included), the greeting, then each reply. */
export interface SmtpTimeouts {
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

/**
 * Far below nodemailer's (minutes): a server that hangs fails the attempt, which is retried with backoff,
 * instead of holding the handler until the broker redelivers the event beside it.
 */
const SMTP_TIMEOUTS: SmtpTimeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000 };

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** `<...@mediamagic>`: the same for every send of one event, so a duplicate is recognisable. */
  readonly messageId: string;
}

/** Hands a message over for delivery; also the Nest injection token. */
export abstract class Mailer {
  abstract send(mail: OutgoingMail): Promise<void>;
  /** Closes open connections, once nothing sends any more. */
  close(): void {
    // Nothing open by default: the .eml writer holds no connection.
  }
}

/**
 * SMTP connections kept open and used in parallel: the handlers send this many emails at once. Each email
 * waits on round trips to the database, the SMTP server and the broker; with 8, at 200 deployments/s on two
 * busy cores, the service sat idle a third of the time while the events queued up behind it. 32 was slower.
 */
export const SMTP_CONNECTIONS = 16;

export function createMailer(options: MailOptions, logger: Pick<Logger, 'log'> = new Logger('Mailer')): Mailer {
  if (options.smtpUrl) {
    // `host` is host:port; the URL's credentials must never reach a log.
    logger.log(`sending mail over SMTP via ${new URL(options.smtpUrl).host}`);
    return new SmtpMailer(options.from, options.smtpUrl, { ...SMTP_TIMEOUTS, ...options.timeouts });
  }
  logger.log(`no SMTP_URL: writing mail as .eml files to ${options.directory}`);
  return new EmlFileMailer(options.from, options.directory);
}

class SmtpMailer extends Mailer {
  // Pooled: a new connection per message cost ~110 ms (the greeting delay of a careful server), a pooled
  // send ~10 ms.
  private readonly transport;

  constructor(
    private readonly from: string,
    url: string,
    timeouts: SmtpTimeouts,
  ) {
    super();
    this.transport = createTransport({
      url,
      pool: true,
      maxConnections: SMTP_CONNECTIONS,
      // nodemailer's default (100) reconnects every hundred messages: each new connection waits for the
      // greeting again, which was the bench's p99.
      maxMessages: Infinity,
      ...timeouts,
    });
  }

  override close(): void {
    this.transport.close();
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.from, ...mail });
    } catch (error) {
      throw permanentRejection(error as NodemailerError) ?? error;
    }
  }
}

/**
 * Only the email's own refusal is permanent: a 5xx answer about its recipient or content (after RCPT TO
 * or DATA: 550 no such mailbox, 552 too large, 553 bad address, 554 rejected), or an envelope nodemailer
 * will not even send (no valid recipient, larger than the server takes). It goes to the dead letters
 * with the answer: every retry would get the same. Anything else is the server not serving now, and is
 * retried for as long as the policy allows, as mail systems do: a connection refused, reset or timed
 * out, a 421 or 554 greeting (RFC 5321 3.1: "no SMTP service here"), TLS, login, a refused sender (our
 * MAIL_FROM, the same in every email), or a 4xx answer.
 */
function permanentRejection(error: NodemailerError): PermanentError | undefined {
  if (error.code !== 'EENVELOPE' && error.code !== 'EMESSAGE') return undefined;
  const refusedByNodemailer = error.responseCode === undefined;
  // `permanent` is nodemailer's reading of the reply: 5xx except 503, a session out of step that a new one puts right.
  const refusedByTheServer = error.permanent === true && (error.command === 'RCPT TO' || error.command === 'DATA');
  if (!refusedByNodemailer && !refusedByTheServer) return undefined;
  return new PermanentError(`the SMTP server rejected the message: ${error.message}`, { cause: error });
}

class EmlFileMailer extends Mailer {
  private readonly transport = createTransport({ streamTransport: true, buffer: true });

  constructor(
    private readonly from: string,
    private readonly directory: string,
  ) {
    super();
  }

  async send(mail: OutgoingMail): Promise<void> {
    const { message } = await this.transport.sendMail({ from: this.from, ...mail });
    await mkdir(this.directory, { recursive: true });
    // Named after the Message-ID: a resend of the same event overwrites its file instead of adding one.
    const file = join(this.directory, `${mail.messageId.replace(/[^\w.@-]/g, '')}.eml`);
    // Written aside, then renamed: whoever watches the folder never opens half a message.
    await writeFile(`${file}.partial`, message as Buffer);
    await rename(`${file}.partial`, file);
  }
}
