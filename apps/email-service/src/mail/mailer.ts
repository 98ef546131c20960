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
}

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
    return new SmtpMailer(options.from, options.smtpUrl);
  }
  logger.log(`no SMTP_URL: writing mail as .eml files to ${options.directory}`);
  return new EmlFileMailer(options.from, options.directory);
}

class SmtpMailer extends Mailer {
  // Pooled: a new connection per message cost ~110 ms (the greeting delay of a careful server), a pooled
  // send ~10 ms. Timeouts far below nodemailer's (minutes): a hung server fails the attempt, which is
  // retried with backoff, instead of holding the handler until the broker redelivers the event beside it.
  private readonly transport;

  constructor(
    private readonly from: string,
    url: string,
  ) {
    super();
    this.transport = createTransport({
      url,
      pool: true,
      maxConnections: SMTP_CONNECTIONS,
      // nodemailer's default (100) reconnects every hundred messages: each new connection waits for the
      // greeting again, which was the bench's p99.
      maxMessages: Infinity,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 15_000,
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
 * A 5xx reply means the server will refuse this message every time: retrying cannot help, so it goes
 * to the dead letters with the server's answer. Anything else (4xx, a connection failure) is retried.
 */
function permanentRejection(error: NodemailerError): PermanentError | undefined {
  const code = error.responseCode;
  if (code === undefined || code < 500 || code >= 600) return undefined;
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
