import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  messageId?: string;
  raw: string;
}

export interface SmtpServer {
  url: string;
  port: number;
  /** Every message accepted so far, parsed, in arrival order. */
  readonly received: ReceivedMail[];
  /** Answers every message with this SMTP reply code (e.g. 550) until set back to undefined. */
  rejectWith: number | undefined;
  stop(): Promise<void>;
}

/** A real SMTP server on a free port of 127.0.0.1 that keeps what it receives (no TLS, any or no login). */
export async function startSmtpServer(): Promise<SmtpServer> {
  const port = await freePort();
  const state: SmtpServer = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received: [],
    rejectWith: undefined,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'test' }),
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (state.rejectWith) {
          callback(Object.assign(new Error('rejected by the test'), { responseCode: state.rejectWith }));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        PostalMime.parse(raw).then(
          (mail) => {
            state.received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: mail.html,
              messageId: mail.messageId,
              raw,
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return state;
}
