// A deadline on the operator endpoints' Postgres reads: a half-open connection (the server stopped, the socket
// still open) never answers and never errors, so without one /health, /status and /metrics would wait forever.
import type pg from 'pg';
import { BoitataError } from '../../shared/errors.ts';

/** /health's database check: its answer (503 with the reason) comes well inside a 5-s probe timeout. */
export const HEALTH_DATABASE_DEADLINE_MS = 3_000;
/** /status, /status.json and /metrics: every read of one request, the wait for a pool client included. */
export const STATUS_DATABASE_DEADLINE_MS = 4_000;

/**
 * Runs `work` on a pool client within `ms`, counting the wait for a client (the pool may be full of the loop's
 * stuck clients) and the connect. Past the deadline it rejects with `database_unavailable`, and the client is
 * released with an error, which makes the pool destroy it (a query still on the wire leaves a connection that
 * can never be reused); a client handed over after the deadline goes straight back.
 */
export async function withDatabaseDeadline<T>(pool: pg.Pool, ms: number, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BoitataError('database_unavailable', `Postgres did not answer within ${ms} ms`)), ms);
  });
  expired.catch(() => undefined);
  try {
    const connecting = pool.connect();
    let client: pg.PoolClient;
    try {
      client = await Promise.race([connecting, expired]);
    } catch (error) {
      connecting.then(
        (late) => late.release(),
        () => undefined,
      );
      throw error;
    }
    const running = work(client);
    running.catch(() => undefined);
    try {
      const result = await Promise.race([running, expired]);
      client.release();
      return result;
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `work` in one read-only snapshot (REPEATABLE READ: the figures of one page or scrape add up), each statement
 * ended by Postgres after `timeoutMs`: a slow (not frozen) database ends the reads itself, inside the deadline.
 */
export async function readOnlySnapshot<T>(client: pg.ClientBase, timeoutMs: number, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
