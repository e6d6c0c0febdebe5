// Applies the numbered SQL files in migrations/ in order, each in its own transaction, under an advisory lock.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_ID = 7_362_846_001;
/** A migration starting with this line runs outside a transaction (so it may build an index CONCURRENTLY). */
const NO_TRANSACTION = '-- boitata:no-transaction';

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export async function migrate(pool: pg.Pool, directory = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = (await readdir(directory)).filter((name) => /^\d{4}_[\w-]+\.sql$/.test(name)).sort();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query(`CREATE TABLE IF NOT EXISTS boitata_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ id: number }>('SELECT id FROM boitata_migrations')).rows.map((row) => row.id));
    const applied: string[] = [];
    for (const file of files) {
      const id = Number(file.slice(0, 4));
      if (done.has(id)) continue;
      const sql = await readFile(join(directory, file), 'utf8');
      if (sql.startsWith(NO_TRANSACTION)) {
        // CREATE INDEX CONCURRENTLY cannot run in a transaction; such a file holds one idempotent statement.
        await client.query(sql).catch((error: Error) => {
          throw new Error(`migration ${file} failed: ${error.message}`, { cause: error });
        });
        await client.query('INSERT INTO boitata_migrations (id, name) VALUES ($1, $2)', [id, file]);
        applied.push(file);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO boitata_migrations (id, name) VALUES ($1, $2)', [id, file]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(file);
    }
    return { applied, alreadyApplied: done.size };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    client.release();
  }
}
