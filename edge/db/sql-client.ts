// The edge's only way to Postgres: the Neon driver's HTTP query path, one round trip per statement, no connection per request.
import { neon, neonConfig, type NeonQueryFunction } from '@neondatabase/serverless';
import { BoitataError } from '../../shared/errors.ts';
import type { EdgeConfig } from '../config.ts';

export interface QueryOptions {
  /** Epoch ms by which the statement must have answered (connect included); past it the call fails as unavailable. */
  deadlineAt?: number;
}

export interface SqlClient {
  /** Runs one statement with `$n` parameters and returns its rows as objects. */
  query<Row>(text: string, params: readonly unknown[], options?: QueryOptions): Promise<Row[]>;
}

/** No statement waits longer than this, even without a caller's deadline: a half-open socket never answers. */
export const QUERY_TIMEOUT_MS = 15_000;

/** How long a statement may still take: its caller's deadline, capped by QUERY_TIMEOUT_MS. */
export function budgetMs(options: QueryOptions | undefined, now = Date.now()): number {
  const left = options?.deadlineAt === undefined ? QUERY_TIMEOUT_MS : options.deadlineAt - now;
  return Math.max(0, Math.min(QUERY_TIMEOUT_MS, left));
}

/** The 503 for a database that did not answer in time: the statement may still commit after we stop waiting. */
export function noAnswerInTime(waitedMs: number): BoitataError {
  return new BoitataError(
    'database_unavailable',
    `The queue database did not answer within ${Math.round(waitedMs / 100) / 10} s. Retry later with the same Idempotency-Key: ` +
      'the message may have been stored, and the key makes sure it is stored only once.',
  );
}

export function createSqlClient(config: Pick<EdgeConfig, 'databaseUrl' | 'neonHttpEndpoint'>): SqlClient {
  // The driver keeps this setting globally; every client of one deployment shares the same endpoint.
  if (config.neonHttpEndpoint !== undefined) neonConfig.fetchEndpoint = config.neonHttpEndpoint;
  const sql: NeonQueryFunction<false, false> = neon(config.databaseUrl);
  return {
    async query<Row>(text: string, params: readonly unknown[], options?: QueryOptions) {
      const budget = budgetMs(options);
      if (budget === 0) throw noAnswerInTime(0);
      // Aborting the fetch bounds the whole round trip: the endpoint's connect to Postgres and the statement.
      const signal = AbortSignal.timeout(budget);
      try {
        return (await sql.query(text, [...params], { fetchOptions: { signal } })) as Row[];
      } catch (error) {
        if (signal.aborted) throw noAnswerInTime(budget);
        throw classifyDatabaseError(error);
      }
    },
  };
}

// SQLSTATE classes that mean "the database cannot serve now": connection exceptions, operator
// intervention (shutdown, cannot connect now) and insufficient resources (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08|57P|53)/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * A database that cannot be reached is a 503 (retry later); an error Postgres itself raised for our statement
 * is our bug (500). Anything without a SQLSTATE is the transport failing (a refused or dropped connection,
 * a WebSocket closed mid-query, the HTTP endpoint down) and counts as unreachable.
 */
export function classifyDatabaseError(error: unknown): BoitataError {
  if (error instanceof BoitataError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const unreachable = !SQLSTATE.test(code) || UNAVAILABLE_SQLSTATE.test(code);
  return unreachable
    ? new BoitataError('database_unavailable', 'The queue database is unreachable. Retry later with the same Idempotency-Key.', { cause: error })
    : new BoitataError('internal_error', 'An unexpected database error occurred. Retry with the same Idempotency-Key.', { cause: error });
}
