import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, closeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port';
import { stopProcess } from './stop-process';
import { waitFor } from './wait-for';

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>`: the server, without a database; append `/<name>`. */
  readonly url: string;
  readonly port: number;
  /** Drops the database if it exists (closing its connections) and creates it empty. */
  createDatabase(name: string): Promise<void>;
  /** Stops the server (fast shutdown: open connections are closed); the data is kept for a restart. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  dispose(): Promise<void>;
}

/**
 * A real PostgreSQL that the test owns: its own cluster in a temporary directory, on a free port,
 * from the distribution's binaries (`/usr/lib/postgresql/<version>/bin`, or POSTGRES_BIN). Tuned for
 * tests, not durability (fsync off), which survives a restart of the server, not of the machine.
 * PostgreSQL refuses to run as root: as root, the cluster belongs to and runs as the `postgres` user.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}`;

  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
    stdio: 'pipe',
    ...owner,
  });

  let child: ChildProcess | undefined;
  const start = async () => {
    const log = openSync(logFile, 'a');
    const settings = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=300', `unix_socket_directories=${dir}`];
    const proc = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', ...settings.flatMap((s) => ['-c', s])], {
      stdio: ['ignore', log, log],
      ...owner,
    });
    closeSync(log);
    child = proc;
    let failure: Error | undefined;
    proc.once('exit', (code) => (failure ??= new Error(`postgres exited with code ${code}:\n${readFileSync(logFile, 'utf8').slice(-2_000)}`)));
    await waitFor(
      async () => {
        if (failure) throw failure;
        return answers(url);
      },
      { timeoutMs: 30_000, message: `PostgreSQL on port ${port}` },
    ).catch((error) => {
      throw failure ?? error;
    });
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    // SIGINT is the fast shutdown: clients are disconnected, the data is consistent for the next start.
    if (proc) await stopProcess(proc, 'SIGINT', 15_000);
  };

  await start();
  return {
    url,
    port,
    start,
    stop,
    createDatabase: async (name) => {
      const admin = new pg.Client({ connectionString: `${url}/postgres` });
      await admin.connect();
      try {
        await admin.query(`drop database if exists "${name}" with (force)`);
        await admin.query(`create database "${name}"`);
      } finally {
        await admin.end();
      }
    },
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The newest installed version's bin directory, unless POSTGRES_BIN names one. */
function postgresBin(): string {
  const configured = process.env['POSTGRES_BIN'];
  if (configured) return configured;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server binaries under ${root} (apt-get install -y postgresql), nor POSTGRES_BIN`);
  return join(root, newest, 'bin');
}

function systemUser(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: `${url}/postgres`, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
