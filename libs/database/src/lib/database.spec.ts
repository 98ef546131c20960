import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Database, isUniqueViolation } from './database';
import { migrate, type Migration } from './migrate';
import { openDatabase } from './open-database';
import { redact } from './postgres.database';

const MIGRATIONS: Migration[] = [
  { id: '001_items', sql: 'create table items (id int primary key, name text not null);\ncreate index items_name on items (name);' },
  { id: '002_tags', sql: 'alter table items add column tag text' },
];
const quiet = { log: () => undefined, error: () => undefined };

/** The same behaviour on both engines: the services run on either with the same SQL. */
function databaseSuite(open: (migrations: Migration[]) => Promise<Database>) {
  let db: Database;
  beforeAll(async () => {
    db = await open(MIGRATIONS);
  });
  afterAll(() => db?.close());

  it('applies the migrations once, in order', async () => {
    expect(await migrate(db, MIGRATIONS)).toEqual([]);
    const rows = await db.query<{ id: string }>('select id from schema_migrations order by id');
    expect(rows.map((row) => row.id)).toEqual(['001_items', '002_tags']);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.transaction((tx) => tx.query('insert into items (id, name) values (1, $1)', ['kept']));
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into items (id, name) values (2, $1)', ['lost']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.query('select id, name from items order by id')).toEqual([{ id: 1, name: 'kept' }]);
  });

  it('reports a unique violation the same way on both engines', async () => {
    const error = await db.query('insert into items (id, name) values (1, $1)', ['again']).catch((e: unknown) => e);
    expect(isUniqueViolation(error, 'items_pkey')).toBe(true);
    expect(isUniqueViolation(new Error('other'))).toBe(false);
  });

  it('refuses migrations that are out of order', async () => {
    await expect(migrate(db, [MIGRATIONS[1]!, MIGRATIONS[0]!])).rejects.toThrow(/sorted/);
  });

  it('answers a ping', async () => {
    await expect(db.ping()).resolves.toBeUndefined();
  });
}

describe('embedded database', () => {
  const directory = mkdtempSync(join(tmpdir(), 'mm-db-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  databaseSuite((migrations) => openDatabase({ directory, migrations, logger: quiet }));

  it('keeps its data in the folder across a reopen', async () => {
    const again = await openDatabase({ directory: join(directory, 'reopen'), migrations: MIGRATIONS, logger: quiet });
    await again.query("insert into items (id, name) values (7, 'seven')");
    await again.close();
    const reopened = await openDatabase({ directory: join(directory, 'reopen'), migrations: MIGRATIONS, logger: quiet });
    expect(await reopened.query('select name from items')).toEqual([{ name: 'seven' }]);
    await reopened.close();
  });

  it('belongs to one process at a time, and is taken over from a process that died', async () => {
    const folder = join(directory, 'locked');
    const first = await openDatabase({ directory: folder, migrations: MIGRATIONS, logger: quiet });
    // As if another, live process held it: this test's parent.
    writeFileSync(`${folder}.lock`, String(process.ppid));
    await expect(openDatabase({ directory: folder, migrations: MIGRATIONS, logger: quiet })).rejects.toThrow(/is in use by process \d+/);
    writeFileSync(`${folder}.lock`, String(process.pid));
    await first.close();
    expect(existsSync(`${folder}.lock`)).toBe(false);
    writeFileSync(`${folder}.lock`, '999999999'); // a crashed process's lock: no such pid
    const second = await openDatabase({ directory: folder, migrations: MIGRATIONS, logger: quiet });
    await second.close();
  });
});

it('never shows a PostgreSQL password in a message, even one with an @ in it', () => {
  expect(redact('postgres://app:p@ss@db.example:5432/users')).toBe('postgres://app:***@db.example:5432/users');
  expect(redact('not a url')).toBe('<invalid URL>');
});

// CI sets TEST_POSTGRES_URL to the machine's PostgreSQL; each run gets a database of its own.
describe.skipIf(!process.env['TEST_POSTGRES_URL'])('PostgreSQL', () => {
  const admin = new pg.Client({ connectionString: process.env['TEST_POSTGRES_URL'] });
  const name = `mm_db_test_${process.pid}`;
  const url = new URL(process.env['TEST_POSTGRES_URL'] ?? 'postgres://localhost');
  url.pathname = `/${name}`;
  beforeAll(async () => {
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
  });
  afterAll(async () => {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  databaseSuite(async (migrations) => {
    // Two instances starting at once: the advisory lock makes them take turns.
    const [first, second] = await Promise.all([1, 2].map(() => openDatabase({ url: url.toString(), directory: '', migrations, logger: quiet })));
    await second!.close();
    return first!;
  });

  it('fails fast with the address but not the password when the server is unreachable', async () => {
    const error = await openDatabase({ url: 'postgres://app:s3cret@127.0.0.1:1/x', directory: '', migrations: [], logger: quiet }).catch((e: unknown) => e);
    expect(String(error)).toContain('cannot connect to PostgreSQL at postgres://app:***@127.0.0.1:1/x');
    expect(String(error)).not.toContain('s3cret');
  });
});
