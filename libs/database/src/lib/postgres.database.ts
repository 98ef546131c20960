import pg from 'pg';
import { Database, type Queryable } from './database';

export class PostgresDatabase extends Database {
  readonly kind = 'postgres';

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly logger: { error(message: string): void },
  ) {
    super();
  }

  /** Fails fast, with the address but never the password, when the server cannot be reached. */
  static async connect(url: string, logger: { error(message: string): void }): Promise<PostgresDatabase> {
    // Bounded waits: a stalled server fails a request or a handler attempt (which is retried), never hangs it.
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, statement_timeout: 10_000, query_timeout: 15_000 });
    // An idle client whose server went away must not crash the process; the pool replaces it.
    pool.on('error', (error) => logger.error(`PostgreSQL connection lost: ${error.message}`));
    try {
      await pool.query('select 1');
    } catch (error) {
      await pool.end();
      throw new Error(`cannot connect to PostgreSQL at ${redact(url)}: ${(error as Error).message}`);
    }
    return new PostgresDatabase(pool, url, logger);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query(prepared(sql, params));
    return result.rows as Row[];
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    // pg-pool stops listening to a client it lent out: a server restart would then be an unhandled
    // 'error' event, which ends the process. The work fails instead, and the broken client is dropped.
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
      this.logger.error(`PostgreSQL connection lost: ${error.message}`);
    };
    const client = await this.lend(onError);
    try {
      await client.query('begin');
      const result = await work({
        query: async <Row>(sql: string, params: readonly unknown[] = []) => (await client.query(prepared(sql, params))).rows as Row[],
      });
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release(lost);
    }
  }

  /**
   * A client from the pool, already listening for errors. Not `await pool.connect()`: a new connection's
   * "ready" and a restarting server's "terminating connection" can come in one packet, and the error
   * would be emitted before an awaiting caller could listen.
   */
  private lend(onError: (error: Error) => void): Promise<pg.PoolClient> {
    return new Promise((resolve, reject) =>
      this.pool.connect((error, client) => {
        if (error || !client) return reject(error);
        client.on('error', onError);
        resolve(client);
      }),
    );
  }

  /** On a connection of its own, outside the pool: a LISTEN lasts as long as its session. */
  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
      next.on('notification', () => onNotify());
      next.on('error', (error) => this.logger.error(`PostgreSQL LISTEN ${channel} connection lost: ${error.message}`));
      // Only the established connection reconnects when it ends; a failed attempt is retried by its caller.
      next.on('end', () => {
        if (stopped || client !== next) return;
        client = undefined;
        reconnect(250);
      });
      try {
        await next.connect();
        await next.query(`listen ${pg.escapeIdentifier(channel)}`);
      } catch (error) {
        await next.end().catch(() => undefined);
        throw error;
      }
      if (stopped) await next.end().catch(() => undefined);
      else client = next;
    };
    const reconnect = (delayMs: number) => {
      if (stopped || retry) return;
      retry = setTimeout(() => {
        retry = undefined;
        if (stopped) return;
        connect().then(onNotify, () => reconnect(Math.min(delayMs * 2, 5_000)));
      }, delayMs);
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

const names = new Map<string, string>();
/** Statements are the code's own texts, a few dozen; a program that builds them on the fly stops here. */
const MAX_NAMED = 500;

/**
 * A named statement: each connection parses and plans it once, then only binds and runs it. The services send
 * the same few statements thousands of times, and parsing and planning them again was a quarter of
 * PostgreSQL's work under the bench's load. Schema changes are not named: they run once, at start.
 */
function prepared(text: string, params: readonly unknown[]): pg.QueryConfig {
  const values = params as unknown[];
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= MAX_NAMED || !/^\s*(select|insert|update|delete|with)\b/i.test(text)) return { text, values };
    names.set(text, (name = `s${names.size}`));
  }
  return { name, text, values };
}

/** The URL without its password (which may itself contain `@`), for logs and errors. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid URL>';
  }
}
