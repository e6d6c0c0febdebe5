// Runs one statement on Trino: reads every page (or the coordinator abandons the query), surfaces page errors,
// enforces a deadline, and never reports a failure while the statement might still commit.
import { setTimeout as sleep } from 'node:timers/promises';
import { BasicAuth, Trino } from 'trino-client';
import { WarehouseError } from './warehouse.ts';

export interface TrinoSettings {
  url: string;
  user: string;
  password?: string | undefined;
  statementTimeoutMs: number;
  /**
   * The session catalog: what an unqualified `tenant_demo.events` means in an operator's query (`boitata query`).
   * Boitatá's own statements always name their catalog.
   */
  catalog?: string | undefined;
}

export interface StatementResult {
  columns: string[];
  rows: unknown[][];
}

// Errors about the data of a statement: the same rows will fail again, so they are permanent. Every other
// user error (permissions, a missing table or column, unsupported operations) is about the table or the
// cluster and is retried with backoff, so a revoked grant does not dead-letter every message.
const DATA_ERRORS = new Set([
  'CONSTRAINT_VIOLATION',
  'INVALID_CAST_ARGUMENT',
  'NUMERIC_VALUE_OUT_OF_RANGE',
  'INVALID_FUNCTION_ARGUMENT',
  'INVALID_LITERAL',
  'DIVISION_BY_ZERO',
  'MERGE_TARGET_ROW_MULTIPLE_MATCHES',
  'QUERY_TEXT_TOO_LARGE',
  'INVALID_ARGUMENTS',
  'TYPE_MISMATCH',
  'GENERIC_USER_ERROR',
]);

const TERMINAL_STATES = new Set(['FINISHED', 'FAILED']);

export class TrinoStatementRunner {
  private readonly trino: Trino;
  private readonly timeoutMs: number;

  constructor(settings: TrinoSettings) {
    this.trino = Trino.create({
      server: settings.url,
      source: 'boitata-processor',
      auth: new BasicAuth(settings.user, settings.password),
      ...(settings.catalog === undefined ? {} : { catalog: settings.catalog }),
      // Without it Trino rounds timestamp(6) values to milliseconds in results.
      extraHeaders: { 'X-Trino-Client-Capabilities': 'PARAMETRIC_DATETIME' },
    });
    this.timeoutMs = settings.statementTimeoutMs;
  }

  async run(sql: string): Promise<StatementResult> {
    let queryId: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    const work = (async (): Promise<StatementResult> => {
      const result: StatementResult = { columns: [], rows: [] };
      try {
        const iterator = await this.trino.query(sql);
        // trino-client 0.2.9 (pinned) keeps the first response, which carries the query id, on a private
        // field; pages without data are not yielded, so an INSERT's pages may never show it.
        queryId = (iterator as unknown as { iter?: { queryResult?: { id?: string } } }).iter?.queryResult?.id;
        for await (const page of iterator) {
          queryId ??= page.id;
          if (page.error !== undefined) {
            const { errorName, errorType, message } = page.error;
            const kind = errorType === 'USER_ERROR' && DATA_ERRORS.has(errorName) ? 'permanent' : 'transient';
            throw new WarehouseError(kind, errorName, `Trino ${errorName}: ${message}`);
          }
          if (page.columns !== undefined && result.columns.length === 0) result.columns = page.columns.map((c) => c.name);
          if (page.data !== undefined) result.rows.push(...page.data);
        }
      } catch (error) {
        if (error instanceof WarehouseError) throw error;
        throw new WarehouseError('transient', 'TRINO_UNREACHABLE', `Trino request failed: ${describeTransportError(error)}`, { cause: error });
      }
      return result;
    })();
    work.catch(() => undefined);
    try {
      const outcome = await Promise.race([work, deadline]);
      if (outcome !== 'timeout') return outcome;
      await this.settle(queryId, true);
      throw new WarehouseError('transient', 'STATEMENT_TIMEOUT', `Trino statement did not finish within ${this.timeoutMs} ms; cancelled`);
    } catch (error) {
      // The connection broke while the statement ran: it may still commit. Wait until Trino says it ended,
      // so the retry's exactly-once check sees its rows; if that cannot be known, say so.
      if (error instanceof WarehouseError && error.errorName === 'TRINO_UNREACHABLE' && queryId !== undefined) await this.settle(queryId, false);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async settle(queryId: string | undefined, cancel: boolean): Promise<void> {
    if (queryId === undefined) return;
    if (cancel) await this.trino.cancel(queryId).catch(() => undefined);
    const until = Date.now() + Math.max(this.timeoutMs, 60_000);
    while (Date.now() < until) {
      try {
        const info = await this.trino.queryInfo(queryId);
        if (TERMINAL_STATES.has(info.state)) return;
      } catch (error) {
        // 404/410: the coordinator no longer knows the query (restarted, or it expired): it is not running.
        const status = (error as { response?: { status?: number } }).response?.status;
        if (status === 404 || status === 410) return;
      }
      await sleep(500);
    }
    throw new WarehouseError('transient', 'OUTCOME_UNKNOWN', `Trino query ${queryId} may still be running; its messages wait for their lease to expire`);
  }
}

function describeTransportError(error: unknown): string {
  const e = error as { code?: string; message?: string; response?: { status?: number } };
  if (e.response?.status !== undefined) return `HTTP ${e.response.status}`;
  return e.code ?? e.message ?? String(error);
}
