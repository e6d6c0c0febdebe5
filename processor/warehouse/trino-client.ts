// Runs one statement on Trino: reads every page (or the coordinator abandons the query), surfaces page errors, enforces a deadline.
import { BasicAuth, Trino } from 'trino-client';
import { WarehouseError } from './warehouse.ts';

export interface TrinoSettings {
  url: string;
  user: string;
  password?: string | undefined;
  statementTimeoutMs: number;
}

export interface StatementResult {
  columns: string[];
  rows: unknown[][];
}

// Errors worth retrying although Trino reports them per query: the server starting, commit races, resources.
const TRANSIENT_ERROR_NAMES = new Set(['SERVER_STARTING_UP', 'ICEBERG_COMMIT_ERROR', 'TRANSACTION_CONFLICT', 'SERVER_SHUTTING_DOWN', 'ABANDONED_QUERY']);

export class TrinoStatementRunner {
  private readonly trino: Trino;
  private readonly timeoutMs: number;

  constructor(settings: TrinoSettings) {
    this.trino = Trino.create({
      server: settings.url,
      source: 'boitata-processor',
      auth: new BasicAuth(settings.user, settings.password),
      // Without it Trino rounds timestamp(6) values to milliseconds in results.
      extraHeaders: { 'X-Trino-Client-Capabilities': 'PARAMETRIC_DATETIME' },
    });
    this.timeoutMs = settings.statementTimeoutMs;
  }

  async run(sql: string): Promise<StatementResult> {
    let queryId: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (queryId !== undefined) this.trino.cancel(queryId).catch(() => undefined);
        reject(new WarehouseError('transient', 'STATEMENT_TIMEOUT', `Trino statement did not finish within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    const work = (async (): Promise<StatementResult> => {
      const result: StatementResult = { columns: [], rows: [] };
      let iterator;
      try {
        iterator = await this.trino.query(sql);
        for await (const page of iterator) {
          queryId = page.id;
          if (page.error !== undefined) {
            const { errorName, errorType, message } = page.error;
            const kind = errorType === 'USER_ERROR' && !TRANSIENT_ERROR_NAMES.has(errorName) ? 'permanent' : 'transient';
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
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }
}

function describeTransportError(error: unknown): string {
  const e = error as { code?: string; message?: string; response?: { status?: number } };
  if (e.response?.status !== undefined) return `HTTP ${e.response.status}`;
  return e.code ?? e.message ?? String(error);
}
