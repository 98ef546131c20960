import pg from 'pg';
import { startPostgresServer } from './postgres-server';

describe('startPostgresServer', () => {
  it('runs a PostgreSQL of its own that keeps its data across a restart', async () => {
    const server = await startPostgresServer();
    const query = async (sql: string) => {
      const client = new pg.Client({ connectionString: `${server.url}/things` });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    try {
      expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}`);
      await server.createDatabase('things');
      await query('create table thing (name text)');
      await query("insert into thing values ('kept')");
      await server.stop();
      await expect(query('select 1')).rejects.toThrow(/ECONNREFUSED/);
      await server.start();
      expect(await query('select name from thing')).toEqual([{ name: 'kept' }]);
      // Created again: empty.
      await server.createDatabase('things');
      await expect(query('select name from thing')).rejects.toThrow(/does not exist/);
    } finally {
      await server.dispose();
    }
  });
});
