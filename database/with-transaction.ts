// One transaction on a pooled client: BEGIN, the work, COMMIT — or ROLLBACK when the work throws.
import type pg from 'pg';

/**
 * Runs `work` in one transaction on a client of `db`: committed when it returns, rolled back when it throws (the
 * work's error is the one thrown, even when the rollback fails too, as on a broken connection).
 */
export async function withTransaction<T>(db: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  // A transaction may stay open across slow work (the schema registry's warehouse DDL): a connection that drops
  // meanwhile fails the next query, and must not crash the process with an unhandled 'error' event.
  const onError = () => undefined;
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onError);
    client.release();
  }
}
