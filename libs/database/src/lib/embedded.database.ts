import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { Database, type Queryable } from './database';
import { traced } from './tracing';

// Sized for a service's own small database: PostgreSQL's defaults would double the process's memory.
const SETTINGS: PGliteOptions = { postgresqlconf: ['shared_buffers=8MB', 'wal_buffers=256kB'] };

/**
 * PostgreSQL compiled to WebAssembly, in this process, its files in `directory` (`memory://` keeps
 * nothing). One connection: statements queue, and a transaction holds the database until it ends.
 * The folder belongs to one process at a time (a lock file beside it says which): two would each
 * overwrite what the other wrote.
 */
export class EmbeddedDatabase extends Database {
  readonly kind = 'embedded';

  private constructor(
    private readonly db: PGlite,
    private readonly lock?: string,
  ) {
    super();
  }

  static async open(directory: string): Promise<EmbeddedDatabase> {
    if (directory.startsWith('memory://')) return new EmbeddedDatabase(await create(directory, true));
    mkdirSync(directory, { recursive: true });
    const lock = takeLock(`${directory}.lock`);
    try {
      return new EmbeddedDatabase(await create(directory, readdirSync(directory).length === 0), lock);
    } catch (error) {
      unlinkSync(lock);
      throw error;
    }
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return traced(sql, async () => (await this.db.query<Row>(sql, params as unknown[])).rows);
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      work({ query: <Row>(sql: string, params: readonly unknown[] = []) => traced(sql, async () => (await tx.query<Row>(sql, params as unknown[])).rows) }),
    );
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    return this.db.listen(channel, () => onNotify());
  }

  async close(): Promise<void> {
    await this.db.close();
    if (this.lock) rmSync(this.lock, { force: true });
  }
}

async function create(directory: string, fresh: boolean): Promise<PGlite> {
  if (!fresh) return PGlite.create(directory, SETTINGS);
  try {
    return await PGlite.create(directory, { ...SETTINGS, loadDataDir: await emptyCluster() });
  } catch {
    // A damaged cached cluster must not stop a start: forget it and let PGlite run its own initdb.
    rmSync(clusterFile(), { force: true });
    if (!directory.startsWith('memory://')) for (const entry of readdirSync(directory)) rmSync(join(directory, entry), { recursive: true, force: true });
    return PGlite.create(directory, SETTINGS);
  }
}

/** Creates the lock file with this process's id; takes over one left by a process that is gone. */
function takeLock(file: string): string {
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(file, 'utf8'));
    if (owner && owner !== process.pid && isAlive(owner)) {
      throw new Error(`the embedded database ${file.slice(0, -'.lock'.length)} is in use by process ${owner}: stop it, or give this one another DATA_DIR`);
    }
    rmSync(file, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A new cluster, as PGlite's initdb makes it. initdb in WebAssembly takes several seconds, and every
 * test and every first start would pay it, so its result is kept once per PGlite version in the
 * temp folder and unpacked instead (about five times faster).
 */
async function emptyCluster(): Promise<Blob> {
  const file = clusterFile();
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

/** Per PGlite version and per user: another user's file in the shared temp folder is never read. */
function clusterFile(): string {
  const pglite = join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = JSON.parse(readFileSync(pglite, 'utf8')) as { version: string };
  return join(tmpdir(), `mediamagic-pglite-${version}-${process.getuid?.() ?? 'user'}-cluster.tar.gz`);
}
