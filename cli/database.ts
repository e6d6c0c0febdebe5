// The operator's connection to Postgres (DATABASE_URL, or the embedded one: see dev/embedded-postgres.ts).
import pg from 'pg';

/** Creates the database named in `url` when it does not exist yet (a fresh machine's first `migrate`). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (name === '' || name === 'postgres') return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (error) {
    // Two processes creating it at once: the loser sees duplicate_database (42P04), which is fine.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` in one transaction on a client of `db`: committed when it returns, rolled back when it throws (the
 * work's error is the one thrown, even when the rollback fails too, as on a broken connection).
 */
export async function withTransaction<T>(db: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export function openPool(url: string): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 4 });
}
