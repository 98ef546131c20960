import { createHash } from 'node:crypto';
import { ConflictError } from '@mediamagic/errors';
import { isUniqueViolation, type Database, type Queryable } from './database';

/** Add to a service's migrations to use `once`. Frozen, as shipped migrations are: a change is a new migration. */
export const IDEMPOTENCY_KEYS_TABLE = `
  create table idempotency_keys (
    scope text not null,
    key text not null,
    request_hash text not null,
    response jsonb not null,
    created_at timestamptz not null default now(),
    primary key (scope, key)
  )`;

/**
 * The same key came back with a different request: answering with the first answer would be a lie. The message
 * reaches the client, so it names neither the scope (an internal request subject, maybe a user id) nor the key.
 */
export class IdempotencyKeyReusedError extends ConflictError {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor() {
    super('this Idempotency-Key was already used for a different request');
  }
}

export interface Once<T> {
  result: T;
  /** True when this is a repeat: the stored answer, and nothing was done (so nothing must be emitted). */
  replayed: boolean;
}

/**
 * Runs `work` in a transaction at most once per (scope, key): the key and the answer commit with
 * the work, so a repeat, even concurrent, gets the first answer and has no effect. Without a key it
 * simply runs `work` in a transaction.
 */
export async function once<T>(db: Database, scope: string, key: string | undefined, request: unknown, work: (tx: Queryable) => Promise<T>): Promise<Once<T>> {
  if (!key) return { result: await db.transaction(work), replayed: false };
  const hash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  const stored = await replay<T>(db, scope, key, hash);
  if (stored) return stored;
  try {
    const result = await db.transaction(async (tx) => {
      // Taken first: a concurrent request with the same key waits here for this one's outcome.
      await tx.query(`insert into idempotency_keys (scope, key, request_hash, response) values ($1, $2, $3, 'null'::jsonb)`, [scope, key, hash]);
      const answer = await work(tx);
      await tx.query('update idempotency_keys set response = $3::jsonb where scope = $1 and key = $2', [scope, key, JSON.stringify(answer ?? null)]);
      return answer;
    });
    return { result, replayed: false };
  } catch (error) {
    if (!isUniqueViolation(error, 'idempotency_keys_pkey')) throw error;
    const winner = await replay<T>(db, scope, key, hash);
    if (!winner) throw error;
    return winner;
  }
}

async function replay<T>(db: Database, scope: string, key: string, hash: string): Promise<Once<T> | undefined> {
  const [row] = await db.query<{ request_hash: string; response: T }>('select request_hash, response from idempotency_keys where scope = $1 and key = $2', [
    scope,
    key,
  ]);
  if (!row) return undefined;
  if (row.request_hash !== hash) throw new IdempotencyKeyReusedError();
  return { result: row.response, replayed: true };
}
