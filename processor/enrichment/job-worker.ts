// Background jobs in Postgres, worked by the processor without blocking ingestion: catalog enrichment of new
// columns (description, tags, PII from the model; COMMENT ON COLUMN) and hashing in place a column flagged PII late.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { ModelClient } from '../ai/model-client.ts';
import type { Logger } from '../logger.ts';
import type { PiiHasher } from '../schema/pii-hasher.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

interface Job {
  id: string;
  kind: 'enrich_columns' | 'hash_pii_column';
  tenant_id: string;
  table_name: string;
  payload: { columns?: string[]; column?: string; pass?: number };
  attempts: number;
}

const CLAIM_JOB_SQL = `
UPDATE boitata_jobs j SET status = 'running', attempts = j.attempts + 1, lease_expires_at = clock_timestamp() + interval '10 minutes'
 WHERE j.id = (SELECT id FROM boitata_jobs
                WHERE (status = 'pending' OR (status = 'running' AND lease_expires_at < clock_timestamp()))
                  AND run_at <= clock_timestamp() AND ($1::text[] IS NULL OR tenant_id = ANY($1::text[]))
                ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING j.id::text, j.kind, j.tenant_id, j.table_name, j.payload, j.attempts`;

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
    const { rows: [job] } = await this.options.pool.query<Job>(CLAIM_JOB_SQL, [this.options.tenants]);
    if (job === undefined) return false;
    try {
      if (job.kind === 'enrich_columns') await this.enrich(job);
      else await this.hashInPlace(job);
      await this.options.pool.query(`UPDATE boitata_jobs SET status = 'done', done_at = clock_timestamp(), last_error = NULL WHERE id = $1`, [job.id]);
    } catch (error) {
      const failed = job.attempts >= 5;
      await this.options.pool.query(
        `UPDATE boitata_jobs SET status = $2, last_error = $3, run_at = clock_timestamp() + make_interval(secs => $4) WHERE id = $1`,
        [job.id, failed ? 'failed' : 'pending', (error as Error).message.slice(0, 2000), 2 ** job.attempts * 5]);
      this.options.log.warn('background job failed', { job: job.id, kind: job.kind, attempts: job.attempts, error: error as Error });
    }
    return true;
  }

  private async enrich(job: Job): Promise<void> {
    if (this.options.model === null) return; // no model: deterministic PII detection already ran at ADD COLUMN
    const { rows: columns } = await this.options.pool.query<{ logical_name: string; physical_name: string; data_type: string; pii: boolean }>(
      `SELECT logical_name, physical_name, data_type, pii FROM boitata_columns
        WHERE tenant_id = $1 AND table_name = $2 AND logical_name = ANY($3::text[])`,
      [job.tenant_id, job.table_name, job.payload.columns ?? []]);
    if (columns.length === 0) return;
    const facts = await this.options.model.describeColumns(job.table_name, columns.map((c) => ({ name: c.logical_name, type: c.data_type })));
    const ref = this.options.warehouse.tableRef(job.tenant_id, job.table_name);
    for (const fact of facts) {
      const column = columns.find((c) => c.logical_name === fact.column)!;
      // The flag, the version bump (processors re-read the table, so rows written from now on are hashed) and
      // the in-place hashing job (for the rows already there) commit together or not at all.
      const client = await this.options.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows: [before] } = await client.query<{ pii: boolean }>(
          'SELECT pii FROM boitata_columns WHERE tenant_id = $1 AND table_name = $2 AND logical_name = $3 FOR UPDATE',
          [job.tenant_id, job.table_name, fact.column]);
        const flagNow = fact.pii && before?.pii === false;
        await client.query(
          `UPDATE boitata_columns SET description = $4, tags = $5, enriched_at = clock_timestamp(),
                  pii = pii OR $6, pii_source = CASE WHEN pii THEN pii_source WHEN $6 THEN 'model' ELSE NULL END
            WHERE tenant_id = $1 AND table_name = $2 AND logical_name = $3`,
          [job.tenant_id, job.table_name, fact.column, fact.description, fact.tags, fact.pii]);
        if (flagNow) {
          await client.query(`UPDATE boitata_tables SET schema_version = schema_version + 1 WHERE tenant_id = $1 AND table_name = $2`, [job.tenant_id, job.table_name]);
          await client.query(
            `INSERT INTO boitata_jobs (kind, tenant_id, table_name, payload) VALUES ('hash_pii_column', $1, $2, $3)`,
            [job.tenant_id, job.table_name, JSON.stringify({ column: fact.column, pass: 1 })]);
        }
        await client.query('COMMIT');
        if (flagNow) this.options.log.info('column flagged as PII by the model; hashing its rows in place', { tenant: job.tenant_id, table: job.table_name, column: fact.column });
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      await this.options.warehouse.commentColumn(ref, column.physical_name, fact.description);
    }
  }

  private async hashInPlace(job: Job): Promise<void> {
    const { rows: [column] } = await this.options.pool.query<{ physical_name: string; data_type: string }>(
      'SELECT physical_name, data_type FROM boitata_columns WHERE tenant_id = $1 AND table_name = $2 AND logical_name = $3',
      [job.tenant_id, job.table_name, job.payload.column]);
    if (column === undefined) return;
    if (column.data_type !== 'varchar') throw new Error(`column ${job.payload.column} is ${column.data_type}: its values cannot be replaced by hashes in place`);
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
      await this.options.pool.query(
        `INSERT INTO boitata_jobs (kind, tenant_id, table_name, payload, run_at) VALUES ('hash_pii_column', $1, $2, $3, clock_timestamp() + make_interval(secs => $4))`,
        [job.tenant_id, job.table_name, JSON.stringify({ column: job.payload.column, pass: 2 }), this.options.sweepAgainAfterSeconds]);
    }
  }
}
