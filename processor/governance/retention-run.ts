// Runs the warehouse retention: reads the registered tables and their policies, then deletes (or, dry, counts) each
// expired table's rows, and its quarantine table's, received before its cutoff. Shared by maintenance and
// `boitata retention run`.
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import type { TableRef, Warehouse } from '../warehouse/warehouse.ts';
import { formatRetention } from './policies.ts';
import { isQuarantineTable } from './quarantine-table.ts';
import { planRetention, type PolicySetting, type RetentionTarget } from './retention-plan.ts';

export interface RetentionOutcome extends RetentionTarget {
  /** rows deleted (or, dry, that would be); null when the table failed */
  rows: number | null;
  /** why the table failed (the warehouse's message); null when it did not */
  error: string | null;
}

export interface RetentionSummary {
  /** tables with a retention */
  tables: number;
  failedTables: number;
  /** rows deleted (or, dry, that would be) in all */
  rows: number;
  /** rows per tenant, tenants with none left out */
  rowsByTenant: Record<string, number>;
}

/** The tables to expire now: registered tables of these tenants (null: all) whose effective retention is set. */
export async function loadRetentionTargets(db: Pick<pg.ClientBase, 'query'>, tenants: readonly string[] | null, now: Date): Promise<RetentionTarget[]> {
  const selected = tenants === null ? null : [...tenants];
  const [{ rows: tables }, { rows: policies }] = [
    await db.query<{ tenant_id: string; table_name: string }>(
      'SELECT tenant_id, table_name FROM boitata_tables WHERE $1::text[] IS NULL OR tenant_id = ANY($1::text[]) ORDER BY 1, 2',
      [selected],
    ),
    await db.query<{ tenant_id: string; table_name: string; contract: PolicySetting['contract']; retention_seconds: string | null }>(
      `SELECT tenant_id, table_name, contract, retention_seconds FROM boitata_policies
        WHERE retention_seconds IS NOT NULL AND ($1::text[] IS NULL OR tenant_id = ANY($1::text[]))`,
      [selected],
    ),
  ];
  return planRetention(
    tables.map((row) => ({ tenantId: row.tenant_id, table: row.table_name })),
    policies.map((row) => ({
      tenantId: row.tenant_id,
      table: row.table_name,
      contract: row.contract,
      retentionSeconds: row.retention_seconds === null ? null : Number(row.retention_seconds),
    })),
    now,
  );
}

/**
 * Deletes each target's rows received before its cutoff (`dryRun`: counts them), one table after another; a table
 * that fails is reported and the others still run (the next pass tries it again). A quarantine table with nothing
 * expired (most tables have none: the warehouse counts a missing one 0) is left out of the outcomes.
 */
export async function applyRetention(
  warehouse: Warehouse,
  targets: readonly RetentionTarget[],
  options: { dryRun: boolean; log?: Logger; onTable?: (outcome: RetentionOutcome) => void },
): Promise<RetentionOutcome[]> {
  const outcomes: RetentionOutcome[] = [];
  for (const target of targets) {
    const ref = warehouse.tableRef(target.tenantId, target.table);
    let outcome: RetentionOutcome;
    try {
      const rows = options.dryRun ? await warehouse.countReceivedBefore(ref, target.cutoff) : await deleteExpired(warehouse, ref, target);
      outcome = { ...target, rows, error: null };
      const fields = { tenant: target.tenantId, table: target.table, retention: formatRetention(target.retentionSeconds), cutoff: target.cutoff };
      // A line per table that lost rows; the tables with nothing expired only at debug (every hour, every table).
      if (!options.dryRun) options.log?.[rows > 0 ? 'info' : 'debug']('retention applied', { ...fields, deleted_rows: rows });
    } catch (error) {
      outcome = { ...target, rows: null, error: (error as Error).message };
      options.log?.warn('retention failed', { tenant: target.tenantId, table: target.table, cutoff: target.cutoff, error: error as Error });
    }
    if (isQuarantineTable(target.table) && outcome.rows === 0) continue;
    outcomes.push(outcome);
    options.onTable?.(outcome);
  }
  return outcomes;
}

/** Whole days first (whole files on a day-partitioned Iceberg table), then the rest of the cutoff's day. */
async function deleteExpired(warehouse: Warehouse, ref: TableRef, target: RetentionTarget): Promise<number> {
  const days = target.dayCutoff === null ? 0 : await warehouse.deleteReceivedBefore(ref, target.dayCutoff);
  return days + (await warehouse.deleteReceivedBefore(ref, target.cutoff));
}

export function summarizeRetention(outcomes: readonly RetentionOutcome[]): RetentionSummary {
  const rowsByTenant: Record<string, number> = {};
  let rows = 0;
  for (const outcome of outcomes) {
    if (outcome.rows === null || outcome.rows === 0) continue;
    rows += outcome.rows;
    rowsByTenant[outcome.tenantId] = (rowsByTenant[outcome.tenantId] ?? 0) + outcome.rows;
  }
  return { tables: outcomes.length, failedTables: outcomes.filter((o) => o.error !== null).length, rows, rowsByTenant };
}
