import type { Database } from './database';

/** One schema change; `id`s sort in the order they apply (`001_users`, `002_tokens`). Never edit one that shipped. */
export interface Migration {
  readonly id: string;
  readonly sql: string;
}

// Any constant: instances of one service starting together take turns instead of racing.
const MIGRATION_LOCK = 727_274;

/** Applies the migrations not applied yet, all in one transaction (all or none), and returns their ids. */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  const ids = migrations.map((migration) => migration.id);
  if (new Set(ids).size !== ids.length || ids.some((id, i) => i > 0 && id <= ids[i - 1]!)) {
    throw new Error(`migration ids must be unique and sorted: ${ids.join(', ')}`);
  }
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query('create table if not exists schema_migrations (id text primary key, applied_at timestamptz not null default now())');
    const done = new Set((await tx.query<{ id: string }>('select id from schema_migrations')).map((row) => row.id));
    const applied: string[] = [];
    for (const migration of migrations.filter((m) => !done.has(m.id))) {
      // One statement per call: the extended protocol of both drivers takes one at a time.
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('insert into schema_migrations (id) values ($1)', [migration.id]);
      applied.push(migration.id);
    }
    return applied;
  });
}

/** Splits on `;` at the end of a line; the migrations are plain DDL, with no functions or quoted semicolons. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter(Boolean);
}
