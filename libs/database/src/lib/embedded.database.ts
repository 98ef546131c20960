import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { Database, type Queryable } from './database';

// Sized for a service's own small database: PostgreSQL's defaults would double the process's memory.
const SETTINGS: PGliteOptions = { postgresqlconf: ['shared_buffers=8MB', 'wal_buffers=256kB'] };

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
    const inMemory = directory.startsWith('memory://');
    if (!inMemory) mkdirSync(directory, { recursive: true });
    const fresh = inMemory || readdirSync(directory).length === 0;
    const options = fresh ? { ...SETTINGS, loadDataDir: await emptyCluster() } : SETTINGS;
    return new EmbeddedDatabase(await PGlite.create(directory, options));
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

/**
 * A new cluster, as PGlite's initdb makes it. initdb in WebAssembly takes several seconds, and every
 * test and every first start would pay it, so its result is kept once per PGlite version in the
 * temp folder and unpacked instead (about five times faster).
 */
async function emptyCluster(): Promise<Blob> {
  const pglite = join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = JSON.parse(readFileSync(pglite, 'utf8')) as { version: string };
  const file = join(tmpdir(), `mediamagic-pglite-${version}-cluster.tar.gz`);
  if (!existsSync(file)) {
    const db = await PGlite.create('memory://', SETTINGS);
    const dump = await db.dumpDataDir('gzip');
    await db.close();
    // Written aside and renamed: processes starting together never read a half-written file.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
  }
  return new Blob([readFileSync(file)]);
}
