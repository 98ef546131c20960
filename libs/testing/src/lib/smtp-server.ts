import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port';

export type { Email } from 'postal-mime';

/** What the server answers RCPT TO for a recipient: undefined accepts, `{ code, message }` refuses. */
export type RecipientRule = (address: string, attempt: number) => { code: number; message: string } | undefined;

export interface SmtpServer {
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string;
  /** Every message the server accepted, parsed, in arrival order. */
  messages: Email[];
  /** The messages addressed to `address`. */
  to(address: string): Email[];
  stop(): Promise<void>;
}

/**
 * A real SMTP server on a free port of 127.0.0.1 that keeps what it receives: plain SMTP (nodemailer
 * would otherwise upgrade to TLS and reject a self-signed certificate), login optional. `refuse`
 * decides per recipient and attempt, to play a mailbox that is unavailable (550) or busy (451).
 */
export async function startSmtpServer(refuse: RecipientRule = () => undefined): Promise<SmtpServer> {
  const port = await freePort();
  const messages: Email[] = [];
  const attempts = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'test' }),
    onRcptTo(address, _session, callback) {
      const attempt = (attempts.get(address.address) ?? 0) + 1;
      attempts.set(address.address, attempt);
      const refusal = refuse(address.address, attempt);
      callback(refusal && Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        PostalMime.parse(Buffer.concat(chunks)).then(
          (email) => {
            messages.push(email);
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
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    to: (address) => messages.filter((email) => email.to?.some((to) => to.address === address)),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
