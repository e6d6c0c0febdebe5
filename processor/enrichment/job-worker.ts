// Background jobs in Postgres, worked by the processor without blocking ingestion: catalog enrichment of new
// columns (description, tags, PII from the model; COMMENT ON COLUMN) and hashing in place a column flagged PII late.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { withTransaction } from '../../database/with-transaction.ts';
import type { ModelClient } from '../ai/model-client.ts';
import type { Logger } from '../logger.ts';
import * as catalog from '../schema/catalog-sql.ts';
import type { ClaimedJob as Job } from '../schema/catalog-sql.ts';
import type { PiiHasher } from '../schema/pii-hasher.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

export interface JobWorkerOptions {
  pool: pg.Pool;
  warehouse: Warehouse;
  model: ModelClient | null;
  hasher: PiiHasher;
  log: Logger;
  tenants: readonly string[] | null;
  pollIntervalMs: number;
  /** when a late PII flag's second sweep runs (rows written by processors that had not seen the flag yet) */
  sweepAgainAfterSeconds: number;
}

export class JobWorker {
  private readonly options: JobWorkerOptions;
  private stopping = false;
  private readonly wake = new AbortController();

  constructor(options: JobWorkerOptions) {
    this.options = options;
  }

  async run(): Promise<void> {
    while (!this.stopping) {
      const worked = await this.runOnce().catch((error: Error) => {
        this.options.log.warn('background job loop failed', { error });
        return false;
      });
      if (!worked) await sleep(this.options.pollIntervalMs, undefined, { signal: this.wake.signal }).catch(() => undefined);
    }
  }

  stop(): void {
    this.stopping = true;
    this.wake.abort();
  }

  /** Works one job; false when there was none. */
  async runOnce(): Promise<boolean> {
    const job = await catalog.claimJob(this.options.pool, this.options.tenants);
    if (job === undefined) return false;
    try {
      if (job.kind === 'enrich_columns') await this.enrich(job);
      else await this.hashInPlace(job);
      await catalog.finishJob(this.options.pool, job.id);
    } catch (error) {
      const failed = job.attempts >= 5;
      await catalog.failJob(this.options.pool, job.id, (error as Error).message, 2 ** job.attempts * 5, failed);
      this.options.log.warn('background job failed', { job: job.id, kind: job.kind, attempts: job.attempts, error: error as Error });
    }
    return true;
  }

  private async enrich(job: Job): Promise<void> {
    if (this.options.model === null) return; // no model: deterministic PII detection already ran at ADD COLUMN
    const columns = await catalog.columnsNamed(this.options.pool, job.tenant_id, job.table_name, job.payload.columns ?? []);
    if (columns.length === 0) return;
    const facts = await this.options.model.describeColumns(
      job.table_name,
      columns.map((c) => ({ name: c.logical_name, type: c.data_type })),
    );
    const ref = this.options.warehouse.tableRef(job.tenant_id, job.table_name);
    for (const fact of facts) {
      const column = columns.find((c) => c.logical_name === fact.column)!;
      // The flag, the version bump (processors re-read the table, so rows written from now on are hashed) and
      // the in-place hashing job (for the rows already there) commit together or not at all.
      const flagNow = await withTransaction(this.options.pool, async (client) => {
        const flag = fact.pii && (await catalog.lockColumnPii(client, job.tenant_id, job.table_name, fact.column)) === false;
        await catalog.saveColumnFacts(client, job.tenant_id, job.table_name, fact);
        if (flag) {
          await catalog.bumpVersion(client, job.tenant_id, job.table_name, [{ kind: 'flag_pii', column: fact.column, source: 'model' }], null);
          await catalog.enqueueJob(client, job.tenant_id, job.table_name, { kind: 'hash_pii_column', column: fact.column, pass: 1 });
        }
        return flag;
      });
      if (flagNow)
        this.options.log.info('column flagged as PII by the model; hashing its rows in place', {
          tenant: job.tenant_id,
          table: job.table_name,
          column: fact.column,
        });
      await this.options.warehouse.commentColumn(ref, column.physical_name, fact.description);
    }
  }

  private async hashInPlace(job: Job): Promise<void> {
    const [column] = await catalog.columnsNamed(this.options.pool, job.tenant_id, job.table_name, [job.payload.column ?? '']);
    if (column === undefined) return;
    if (column.data_type !== 'varchar')
      throw new Error(`column ${job.payload.column} is ${column.data_type}: its values cannot be replaced by hashes in place`);
    const ref = this.options.warehouse.tableRef(job.tenant_id, job.table_name);
    // Distinct values, not rows: one UPDATE rewrites every row holding them. The key never appears in SQL.
    let previous = '';
    for (;;) {
      const values = await this.options.warehouse.unhashedValues(ref, column.physical_name, 200);
      if (values.length === 0) break;
      const signature = values.join('\u0000');
      if (signature === previous) throw new Error(`values of ${job.payload.column} did not change after being hashed; stopping`);
      previous = signature;
      await this.options.warehouse.replaceValues(ref, column.physical_name, new Map(values.map((v) => [v, this.options.hasher.hash(job.tenant_id, v)])));
    }
    if ((job.payload.pass ?? 1) === 1) {
      await catalog.enqueueJob(
        this.options.pool,
        job.tenant_id,
        job.table_name,
        { kind: 'hash_pii_column', column: job.payload.column!, pass: 2 },
        this.options.sweepAgainAfterSeconds,
      );
    }
  }
}
