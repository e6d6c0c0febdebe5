// Every statement on the schema catalog in Postgres — tables, columns, aliases, schema versions, catalog jobs —
// used by the schema registry, the job worker and the operator CLI. One bumpVersion, one enqueueJob.
import type pg from 'pg';
import type { TableRef } from '../warehouse/warehouse.ts';
import { columnType, type ColumnType } from './type-table.ts';
import type { CatalogJob, HistoryEntry, NewColumn } from './decide-evolution.ts';
import type { PiiSource } from './pii-detect.ts';
import type { AliasDecision } from './resolve-fields.ts';
import type { SchemaContract } from '../governance/policies.ts';
import type { RegisteredColumn } from './table-schema.ts';

/** A pool or a client inside a transaction: the statements below run on either. */
export type Sql = Pick<pg.ClientBase, 'query'>;

/** One evolution at a time per table across every processor: a transaction-scoped advisory lock. */
export async function lockTable(client: Sql, tenantId: string, table: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7362846))', [`${tenantId}/${table}`]);
}

/** The registered columns in the order they were added; null when the registry does not know the table. */
export async function loadColumns(db: Sql, tenantId: string, table: string): Promise<RegisteredColumn[] | null> {
  const { rows } = await db.query<{ logical: string | null; physical: string; type: string; pii: boolean }>(
    `SELECT c.logical_name AS logical, c.physical_name AS physical, c.data_type AS type, c.pii
       FROM boitata_tables t LEFT JOIN boitata_columns c USING (tenant_id, table_name)
      WHERE t.tenant_id = $1 AND t.table_name = $2
      ORDER BY c.added_in_version, c.logical_name`,
    [tenantId, table],
  );
  if (rows.length === 0) return null;
  return rows.flatMap((row) => (row.logical === null ? [] : [{ logical: row.logical, physical: row.physical, type: columnType(row.type), pii: row.pii }]));
}

/** field → logical column */
export async function loadAliases(db: Sql, tenantId: string, table: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ alias: string; column_name: string }>(
    'SELECT alias, column_name FROM boitata_aliases WHERE tenant_id = $1 AND table_name = $2',
    [tenantId, table],
  );
  return new Map(rows.map((r) => [r.alias, r.column_name]));
}

/** `field\u0000column` pairs an operator undid: never proposed again. */
export async function loadRejections(db: Sql, tenantId: string, table: string): Promise<Set<string>> {
  const { rows } = await db.query<{ alias: string; column_name: string }>(
    'SELECT alias, column_name FROM boitata_alias_rejections WHERE tenant_id = $1 AND table_name = $2',
    [tenantId, table],
  );
  return new Set(rows.map((r) => `${r.alias}\u0000${r.column_name}`));
}

export async function schemaVersion(db: Sql, tenantId: string, table: string): Promise<number | null> {
  const { rows } = await db.query<{ schema_version: number }>('SELECT schema_version FROM boitata_tables WHERE tenant_id = $1 AND table_name = $2', [
    tenantId,
    table,
  ]);
  return rows[0]?.schema_version ?? null;
}

/** A table new to the registry, at version 0: its first bumpVersion makes it 1. */
export async function registerTable(client: Sql, tenantId: string, table: string, ref: TableRef): Promise<void> {
  await client.query(`INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table, schema_version) VALUES ($1, $2, $3, $4, 0)`, [
    tenantId,
    table,
    ref.schema,
    ref.table,
  ]);
}

/** An operator's contract change (`boitata tables set --contract`, or a tenant default the table inherits). */
export interface ContractHistoryEntry {
  kind: 'set_contract';
  from: SchemaContract;
  to: SchemaContract;
  /** the actor of the audit entry */
  by: string;
  scope: 'table' | 'tenant_default';
}

/**
 * The table's schema version moves by one, with what changed as its history entry; returns the new version.
 * Processors re-read a table whose version moved, so a change made here applies to their next batch.
 */
export async function bumpVersion(
  client: Sql,
  tenantId: string,
  table: string,
  history: readonly (HistoryEntry | ContractHistoryEntry)[],
  messageId: string | null,
): Promise<number> {
  const {
    rows: [bumped],
  } = await client.query<{ version: number }>(
    `WITH bumped AS (UPDATE boitata_tables SET schema_version = schema_version + 1 WHERE tenant_id = $1 AND table_name = $2 RETURNING schema_version)
     INSERT INTO boitata_schema_versions (tenant_id, table_name, version, changes, message_id)
     SELECT $1, $2, schema_version, $3, $4 FROM bumped
     RETURNING version`,
    [tenantId, table, JSON.stringify(history), messageId],
  );
  if (bumped === undefined) throw new Error(`no table ${tenantId}/${table} in the registry to bump the version of`);
  return bumped.version;
}

export async function insertColumns(
  client: Sql,
  tenantId: string,
  table: string,
  columns: readonly NewColumn[],
  messageId: string,
  version: number,
): Promise<void> {
  for (const column of columns) {
    await client.query(
      `INSERT INTO boitata_columns (tenant_id, table_name, logical_name, physical_name, data_type, origin, first_message_id, added_in_version, pii, pii_source)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [tenantId, table, column.logical, column.physical, column.type, column.origin, messageId, version, column.piiSource !== null, column.piiSource],
    );
  }
}

export async function setColumnType(client: Sql, tenantId: string, table: string, logical: string, type: ColumnType): Promise<void> {
  await client.query('UPDATE boitata_columns SET data_type = $4 WHERE tenant_id = $1 AND table_name = $2 AND logical_name = $3', [
    tenantId,
    table,
    logical,
    type,
  ]);
}

export async function flagPii(client: Sql, tenantId: string, table: string, logical: string, source: PiiSource | 'model'): Promise<void> {
  await client.query('UPDATE boitata_columns SET pii = true, pii_source = $4 WHERE tenant_id = $1 AND table_name = $2 AND logical_name = $3', [
    tenantId,
    table,
    logical,
    source,
  ]);
}

export async function insertAliases(client: Sql, tenantId: string, table: string, aliases: readonly AliasDecision[]): Promise<void> {
  for (const alias of aliases) {
    await client.query(
      `INSERT INTO boitata_aliases (tenant_id, table_name, alias, column_name, decided_by, evidence) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [tenantId, table, alias.field, alias.column, alias.decidedBy, JSON.stringify(alias.evidence)],
    );
  }
}

/** Queues a catalog job for the processor's job worker, to run now or after `delaySeconds`. */
export async function enqueueJob(db: Sql, tenantId: string, table: string, job: CatalogJob, delaySeconds = 0): Promise<void> {
  const { kind, ...payload } = job;
  await db.query(
    `INSERT INTO boitata_jobs (kind, tenant_id, table_name, payload, run_at) VALUES ($1, $2, $3, $4, clock_timestamp() + make_interval(secs => $5))`,
    [kind, tenantId, table, JSON.stringify(payload), delaySeconds],
  );
}

/**
 * Records that rows of the table just landed (the status page's "last loaded"). Best effort: the rows are in the
 * warehouse already, and a Postgres that cannot take this fails the batch's acknowledgement next, not this.
 */
export async function markLoaded(db: Sql, tenantId: string, table: string): Promise<void> {
  await db
    .query('UPDATE boitata_tables SET last_loaded_at = clock_timestamp() WHERE tenant_id = $1 AND table_name = $2', [tenantId, table])
    .catch(() => undefined);
}

/** Columns by logical name, with what the model is told of them. */
export async function columnsNamed(db: Sql, tenantId: string, table: string, names: readonly string[]) {
  const { rows } = await db.query<{ logical_name: string; physical_name: string; data_type: string; pii: boolean }>(
    `SELECT logical_name, physical_name, data_type, pii FROM boitata_columns
      WHERE tenant_id = $1 AND table_name = $2 AND logical_name = ANY($3::text[])`,
    [tenantId, table, names],
  );
  return rows;
}

/** Locks a column's row for the transaction; whether it is personal data now (undefined: no such column). */
export async function lockColumnPii(client: Sql, tenantId: string, table: string, logical: string): Promise<boolean | undefined> {
  const {
    rows: [row],
  } = await client.query<{ pii: boolean }>('SELECT pii FROM boitata_columns WHERE tenant_id = $1 AND table_name = $2 AND logical_name = $3 FOR UPDATE', [
    tenantId,
    table,
    logical,
  ]);
  return row?.pii;
}

/** What the model said of a column: its description and tags, and personal data (a flag never set back). */
export async function saveColumnFacts(
  client: Sql,
  tenantId: string,
  table: string,
  fact: { column: string; description: string; tags: string[]; pii: boolean },
): Promise<void> {
  await client.query(
    `UPDATE boitata_columns SET description = $4, tags = $5, enriched_at = clock_timestamp(),
            pii = pii OR $6, pii_source = CASE WHEN pii THEN pii_source WHEN $6 THEN 'model' ELSE NULL END
      WHERE tenant_id = $1 AND table_name = $2 AND logical_name = $3`,
    [tenantId, table, fact.column, fact.description, fact.tags, fact.pii],
  );
}

export interface ClaimedJob {
  id: string;
  kind: CatalogJob['kind'];
  tenant_id: string;
  table_name: string;
  payload: { columns?: string[]; column?: string; pass?: number };
  attempts: number;
}

/** Claims the next runnable job (a lease of 10 minutes), of the given tenants or any; undefined when there is none. */
export async function claimJob(db: Sql, tenants: readonly string[] | null): Promise<ClaimedJob | undefined> {
  const {
    rows: [job],
  } = await db.query<ClaimedJob>(
    `UPDATE boitata_jobs j SET status = 'running', attempts = j.attempts + 1, lease_expires_at = clock_timestamp() + interval '10 minutes'
      WHERE j.id = (SELECT id FROM boitata_jobs
                     WHERE (status = 'pending' OR (status = 'running' AND lease_expires_at < clock_timestamp()))
                       AND run_at <= clock_timestamp() AND ($1::text[] IS NULL OR tenant_id = ANY($1::text[]))
                     ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING j.id::text, j.kind, j.tenant_id, j.table_name, j.payload, j.attempts`,
    [tenants],
  );
  return job;
}

export async function finishJob(db: Sql, id: string): Promise<void> {
  await db.query(`UPDATE boitata_jobs SET status = 'done', done_at = clock_timestamp(), last_error = NULL WHERE id = $1`, [id]);
}

/** A failed attempt: retried after `retryInSeconds`, or failed for good (`final`), with the error kept. */
export async function failJob(db: Sql, id: string, error: string, retryInSeconds: number, final: boolean): Promise<void> {
  await db.query(`UPDATE boitata_jobs SET status = $2, last_error = $3, run_at = clock_timestamp() + make_interval(secs => $4) WHERE id = $1`, [
    id,
    final ? 'failed' : 'pending',
    error.slice(0, 2000),
    retryInSeconds,
  ]);
}
