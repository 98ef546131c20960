import { ConflictError } from '@mediamagic/errors';
import { Database } from './database';
import { IDEMPOTENCY_KEYS_TABLE, IdempotencyKeyReusedError, once } from './idempotency';
import { openDatabase } from './open-database';

describe('once', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({
      directory: 'memory://',
      migrations: [{ id: '001', sql: `${IDEMPOTENCY_KEYS_TABLE};\ncreate table effects (n serial primary key, what text)` }],
      logger: { log: () => undefined, error: () => undefined },
    });
  });
  afterAll(() => db.close());

  const create = (what: string) => async (tx: { query: Database['query'] }) => {
    const [row] = await tx.query<{ n: number }>('insert into effects (what) values ($1) returning n', [what]);
    return { n: row!.n, what };
  };

  it('does the work once per key and replays the first answer', async () => {
    const first = await once(db, 'effects.create', 'key-1', { what: 'a' }, create('a'));
    const again = await once(db, 'effects.create', 'key-1', { what: 'a' }, create('a'));
    expect(first).toEqual({ result: { n: first.result.n, what: 'a' }, replayed: false });
    expect(again).toEqual({ result: first.result, replayed: true });
    expect(await db.query(`select count(*)::int as n from effects where what = 'a'`)).toEqual([{ n: 1 }]);
  });

  it('has one effect for concurrent requests with the same key', async () => {
    const results = await Promise.all([1, 2, 3].map(() => once(db, 'effects.create', 'key-2', { what: 'b' }, create('b'))));
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(results.map((r) => r.result.n)).size).toBe(1);
    expect(await db.query(`select count(*)::int as n from effects where what = 'b'`)).toEqual([{ n: 1 }]);
  });

  it('refuses the same key for a different request, and keys are per scope', async () => {
    const reused = once(db, 'effects.create', 'key-1', { what: 'other' }, create('other'));
    // A conflict like any other: the edges answer it as one (409 over HTTP).
    await expect(reused).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await expect(reused).rejects.toBeInstanceOf(ConflictError);
    // The client reads the message: no internal subject or id in it.
    await expect(reused).rejects.toThrow('this Idempotency-Key was already used for a different request');
    await expect(reused).rejects.not.toThrow(/effects|key-1/);
    expect((await once(db, 'another.scope', 'key-1', { what: 'c' }, create('c'))).replayed).toBe(false);
  });

  it('keeps nothing when the work fails, so a retry with the key does the work', async () => {
    await expect(once(db, 'effects.create', 'key-3', {}, async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect((await once(db, 'effects.create', 'key-3', {}, create('d'))).replayed).toBe(false);
  });

  it('runs the work without a key every time', async () => {
    await once(db, 'effects.create', undefined, {}, create('e'));
    await once(db, 'effects.create', undefined, {}, create('e'));
    expect(await db.query(`select count(*)::int as n from effects where what = 'e'`)).toEqual([{ n: 2 }]);
  });
});
