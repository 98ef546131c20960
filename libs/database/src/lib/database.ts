/** What both a transaction and the database can do: run one statement. */
export interface Queryable {
  /** Runs one parameterised statement (`$1`, `$2`...) and returns its rows. Cast counts to `::int`. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * A service's own database: PostgreSQL (`DATABASE_URL`) or the embedded PostgreSQL-compatible one
 * (PGlite) under the data folder. The same SQL runs on both. Also the Nest injection token.
 */
export abstract class Database implements Queryable {
  abstract readonly kind: 'postgres' | 'embedded';
  abstract query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  abstract transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Resolves when the database answers within `timeoutMs`: what a readiness probe asks. */
  async ping(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the database did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.query('select 1'), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
  /**
   * Calls `onNotify` for every NOTIFY on `channel` (sent when the notifying transaction commits).
   * After a lost connection is back, `onNotify` is called once too: notifications in between are lost.
   * Resolves to the function that stops listening.
   */
  abstract listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  abstract close(): Promise<void>;
}

/** PostgreSQL's `unique_violation`, from either driver: the loser of a race for a unique key. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const { code, constraint: name } = (error ?? {}) as { code?: string; constraint?: string };
  return code === '23505' && (constraint === undefined || name === constraint);
}
