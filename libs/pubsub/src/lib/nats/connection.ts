import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export const DEFAULT_NATS_ADDR = 'nats://127.0.0.1:4222';

export type TransportLogger = { log(message: string): void; warn(message: string): void; error(message: string): void };

export interface ConnectionOptions {
  /** One URL or a comma-separated list, as in `NATS_ADDR`. */
  servers?: string | string[];
  /** The connection's name, shown by the server's monitoring (the service name). */
  name: string;
  /** User and password when the server requires authorization (one NATS user per service). */
  user?: string;
  pass?: string;
}

export async function connectNats(options: ConnectionOptions): Promise<NatsConnection> {
  const servers = parseServers(options.servers ?? DEFAULT_NATS_ADDR);
  return connect({
    servers,
    name: options.name,
    user: options.user,
    pass: options.pass,
    inboxPrefix: inboxPrefixOf(options.name),
    // A broker that goes away is waited for, however long: services must not give up on their own.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // nats.js builds two errors per request only to keep async stack traces: a sixth of a publish.
    noAsyncTraces: true,
  }).catch((error: unknown) => {
    throw new Error(`cannot connect to NATS at ${servers.map(redact).join(',')}: ${(error as Error).message}`);
  });
}

/**
 * The subjects on which this service's connection receives its replies (request/reply answers, JetStream API
 * answers, acks, pulled messages): `_INBOX_<name>.>`, not the shared `_INBOX.>`, so that the NATS permissions
 * can let each service hear only its own replies (a verification link travels in one). A name's characters that
 * a subject token may not hold become `_`.
 */
export function inboxPrefixOf(name: string): string {
  return `_INBOX_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Logs the connection's ups and downs and calls `interrupted` whenever core NATS messages may have been lost. */
export async function watchStatus(connection: NatsConnection, logger: TransportLogger, interrupted: () => void): Promise<void> {
  for await (const status of connection.status()) {
    if (status.type === 'disconnect') logger.warn(`NATS disconnected from ${redact(String(status.server))}, reconnecting`);
    else if (status.type === 'reconnect') logger.log(`NATS reconnected to ${redact(String(status.server))}`);
    // A permissions violation, for one: without this line a subject missing from the service's NATS user goes unnoticed.
    else if (status.type === 'error') logger.error(`NATS: ${status.error.message}`);
    // Core NATS messages sent meanwhile (or dropped by the server for a slow reader) are gone.
    if (INTERRUPTIONS.has(status.type)) interrupted();
  }
}

const INTERRUPTIONS = new Set<string>(['disconnect', 'reconnect', 'staleConnection', 'slowConsumer']);

/** Resolves once the server knows the interest, so a publish right after is not missed. */
export async function registered(connection: NatsConnection, subscription: Subscription): Promise<void> {
  try {
    await connection.flush();
  } catch (error) {
    subscription.unsubscribe();
    throw error;
  }
}

export function parseServers(servers: string | string[]): string[] {
  const list = (Array.isArray(servers) ? servers : servers.split(',')).map((server) => server.trim()).filter(Boolean);
  if (list.length === 0) throw new Error('NATS_ADDR is empty');
  for (const server of list) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+(:\d+)?\/?$/.test(server) && !/^[^\s:/]+:\d+$/.test(server)) {
      throw new Error(`NATS_ADDR has an invalid server URL: "${redact(server)}"`);
    }
  }
  return list;
}

/** Credentials embedded in a URL never reach a log: everything up to the last `@` goes. */
function redact(url: string): string {
  return url.replace(/\/\/.*@/, '//***@');
}
