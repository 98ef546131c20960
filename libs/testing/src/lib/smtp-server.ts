import PostalMime, { type Email } from 'postal-mime';
import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port';

export type { Email } from 'postal-mime';

/** What the server answers RCPT TO for a recipient: undefined accepts, `{ code, message }` refuses. */
export type RecipientRule = (address: string, attempt: number) => { code: number; message: string } | undefined;

export interface SmtpServer {
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string;
  readonly port: number;
  /**
   * Every message the server accepted, parsed, in arrival order; a resend is a second entry.
   * `messageId` is the Message-ID header as sent (`<...>`), which tells a resend from a new email.
   */
  messages: Email[];
  /** The messages addressed to `address`. */
  to(address: string): Email[];
  /**
   * Whether accepted messages are parsed into `messages` (default true). A benchmark turns it off while
   * it measures, so that parsing does not take the cores from the services it measures; it then sees
   * each message through `onAccepted` only.
   */
  parse: boolean;
  /** Called with each message's raw bytes when the server accepts it (the end of DATA), before parsing. */
  onAccepted?: (raw: Buffer) => void;
  /** Goes down: stops listening (connecting fails at once) and drops the open sessions, pooled ones included. */
  refuseConnections(): Promise<void>;
  /** Listens again on the same port. */
  acceptConnections(): Promise<void>;
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
        const raw = Buffer.concat(chunks);
        inbox.onAccepted?.(raw);
        if (!inbox.parse) return callback();
        PostalMime.parse(raw).then(
          (email) => {
            messages.push(email);
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  // A client that vanishes mid-session (a killed service resets its socket) is no failure of the server;
  // unheard, the 'error' event would crash the test process.
  server.on('error', () => undefined);
  const sockets = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
  await listen();
  const inbox: SmtpServer = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    parse: true,
    to: (address) => messages.filter((email) => email.to?.some((to) => to.address === address)),
    // Not SMTPServer.close(), which lets open sessions finish for up to 30 s: down means down.
    refuseConnections: async () => {
      if (server.server.listening) server.server.close();
      for (const socket of sockets) socket.destroy();
    },
    acceptConnections: async () => {
      if (!server.server.listening) await listen();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return inbox;
}
