import PostalMime, { type Email } from 'postal-mime';
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { freePort } from './free-port';

export type { Email } from 'postal-mime';

/**
 * What the server answers RCPT TO for a recipient: undefined accepts, `{ code, message }` refuses.
 * With `at: 'DATA'` it accepts the recipient and refuses the message at the end of DATA instead.
 */
export type RecipientRule = (address: string, attempt: number) => Refusal | undefined;

export interface Refusal {
  code: number;
  message: string;
  at?: 'DATA';
}

/**
 * How a server that is down turns clients away:
 * - `closed`: nothing listens on the port, connecting fails at once (ECONNREFUSED);
 * - `reset`: it accepts the connection and resets it (ECONNRESET);
 * - `greeting-421`, `greeting-554`: it greets with 421 (not now) or 554 (no service here) and hangs up, as RFC 5321 servers do;
 * - `silent`: it accepts the connection and never greets, until the client's timeout gives up;
 * - `bad-tls`: it offers STARTTLS with a certificate no client trusts, so the TLS handshake fails.
 */
export type Outage = 'closed' | 'reset' | 'greeting-421' | 'greeting-554' | 'silent' | 'bad-tls';

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
  /** Goes down, `closed` unless told how, until acceptConnections: drops the open sessions, pooled ones included. */
  refuseConnections(how?: Outage): Promise<void>;
  /** Serves again on the same port; drops what the outage held open. */
  acceptConnections(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real SMTP server on a free port of 127.0.0.1 that keeps what it receives: plain SMTP (nodemailer
 * would otherwise upgrade to TLS and reject a self-signed certificate, as the `bad-tls` outage does),
 * login optional. `refuse` decides per recipient and attempt, to play a mailbox that is unavailable
 * (550) or busy (451), or a message refused after DATA (554).
 */
export async function startSmtpServer(refuse: RecipientRule = () => undefined): Promise<SmtpServer> {
  const port = await freePort();
  const messages: Email[] = [];
  const attempts = new Map<string, number>();
  // Refusals kept for the end of DATA, by the recipient they were decided for.
  const refusedAtData = new WeakMap<SMTPServerAddress, Refusal>();
  let outage: Outage | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'test' }),
    onConnect(session, callback) {
      if (outage === 'greeting-421') return callback(smtpError({ code: 421, message: 'Service not available, try again later' }));
      if (outage === 'greeting-554') return callback(smtpError({ code: 554, message: 'No SMTP service here' }));
      // Never greets: the session stays open until the client gives up or the outage ends.
      if (outage === 'silent') return;
      // STARTTLS for this session only, with smtp-server's built-in self-signed certificate.
      if (outage === 'bad-tls') session.disabledCommands = [];
      callback();
    },
    onRcptTo(address, _session, callback) {
      const attempt = (attempts.get(address.address) ?? 0) + 1;
      attempts.set(address.address, attempt);
      const refusal = refuse(address.address, attempt);
      if (refusal?.at === 'DATA') refusedAtData.set(address, refusal);
      callback(refusal && refusal.at !== 'DATA' ? smtpError(refusal) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const refusal = session.envelope.rcptTo.map((address) => refusedAtData.get(address)).find(Boolean);
        if (refusal) return callback(smtpError(refusal));
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
    if (outage === 'reset') {
      socket.resetAndDestroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const dropSessions = () => {
    for (const socket of sockets) socket.destroy();
  };
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
    refuseConnections: async (how = 'closed') => {
      outage = how;
      dropSessions();
      if (how === 'closed' && server.server.listening) server.server.close();
      if (how !== 'closed' && !server.server.listening) await listen();
    },
    acceptConnections: async () => {
      outage = undefined;
      dropSessions();
      if (!server.server.listening) await listen();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return inbox;
}

/** An error smtp-server answers with its code: a refused recipient, message or session. */
const smtpError = ({ code, message }: Refusal) => Object.assign(new Error(message), { responseCode: code });
