import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseOptions } from '@mediamagic/database';

type Where = Omit<DatabaseOptions, 'migrations'>;

/**
 * Runs `suite` on a throwaway embedded database per test, and, when TEST_POSTGRES_URL is set, again
 * on a fresh PostgreSQL database made for it: the services run on either.
 */
export function withTestDatabases(name: string, suite: (database: () => Where) => void): void {
  describe(`${name} (embedded)`, () => suite(() => ({ directory: 'memory://' })));
  const server = process.env['TEST_POSTGRES_URL'];
  if (!server) return;
  describe(`${name} (PostgreSQL)`, () => {
    const database = `messaging_${randomBytes(4).toString('hex')}`;
    const url = new URL(server);
    url.pathname = `/${database}`;
    beforeAll(() => admin(server, `create database ${database}`));
    afterAll(() => admin(server, `drop database if exists ${database} with (force)`));
    // The directory is ignored when there is a URL.
    suite(() => ({ url: url.toString(), directory: 'memory://' }));
  });
}

async function admin(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
