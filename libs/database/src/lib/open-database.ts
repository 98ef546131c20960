import type { Database } from './database';
import { EmbeddedDatabase } from './embedded.database';
import { migrate, type Migration } from './migrate';
import { PostgresDatabase } from './postgres.database';

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent the embedded database in `directory` is used. */
  url?: string;
  /** Where the embedded database keeps its files; `memory://` for a throwaway one (tests). */
  directory: string;
  migrations: readonly Migration[];
  logger?: { log(message: string): void; error(message: string): void };
}

/** Opens the service's database and brings its schema up to date before anything uses it. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const logger = options.logger ?? console;
  const db = options.url ? await PostgresDatabase.connect(options.url, logger) : await EmbeddedDatabase.open(options.directory);
  try {
    const applied = await migrate(db, options.migrations);
    if (applied.length) logger.log(`applied migrations ${applied.join(', ')} (${db.kind} database)`);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
