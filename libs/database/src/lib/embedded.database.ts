import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Database, type Queryable } from './database';

/**
 * PostgreSQL compiled to WebAssembly, in this process, its files in `directory` (`memory://` keeps
 * nothing). One connection: statements queue, and a transaction holds the database until it ends.
 * The folder must belong to one process at a time.
 */
export class EmbeddedDatabase extends Database {
  readonly kind = 'embedded';

  private constructor(private readonly db: PGlite) {
    super();
  }

  static async open(directory: string): Promise<EmbeddedDatabase> {
    if (!directory.startsWith('memory://')) mkdirSync(directory, { recursive: true });
    return new EmbeddedDatabase(await PGlite.create(directory));
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.db.query<Row>(sql, params as unknown[])).rows;
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      work({ query: async <Row>(sql: string, params: readonly unknown[] = []) => (await tx.query<Row>(sql, params as unknown[])).rows }),
    );
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
