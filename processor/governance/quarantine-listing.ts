// What a tenant's quarantines hold (`boitata quarantine list`, the status page): per table the rows kept out by its
// `quarantine` contract, the oldest and newest, and the reasons by count. Metadata only: never a row's values.
import type pg from 'pg';
import { WarehouseError, type QueryResult, type TableRef, type Warehouse } from '../warehouse/warehouse.ts';
import { isQuarantineTable, QUARANTINE_PREFIX, quarantineTableName } from './quarantine-table.ts';
import { renderReasons, renderSummary, renderTablesLike, type Dialect } from './quarantine-sql.ts';

/** A warehouse, and which SQL it speaks. */
export interface QuarantineWarehouse {
  warehouse: Warehouse;
  dialect: Dialect;
}

export interface QuarantineSummary {
  /** the table the quarantine guards; null for a quarantine whose table the registry no longer knows */
  table: string | null;
  quarantine_table: string;
  rows: number;
  messages: number;
  /** when the oldest and newest rows were quarantined (ISO 8601, UTC); null when empty */
  oldest: string | null;
  newest: string | null;
  /** the most common reasons first (at most REASONS_SHOWN) */
  reasons: Array<{ reason: string; rows: number }>;
}

export const REASONS_SHOWN = 10;

export function asObjects(result: QueryResult): Array<Record<string, unknown>> {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((name, i) => [name, row[i]])));
}

/** The quarantine tables that exist in the tenant's schema (an empty list when nothing was ever loaded). */
export async function quarantineTablesOf(wh: QuarantineWarehouse, tenantId: string): Promise<string[]> {
  const ref = wh.warehouse.tableRef(tenantId, QUARANTINE_PREFIX);
  try {
    const rows = asObjects(await wh.warehouse.query(renderTablesLike(wh.dialect, ref, QUARANTINE_PREFIX)));
    return rows.map((row) => String(row['table_name'])).filter(isQuarantineTable);
  } catch (error) {
    // DuckDB before its first load has no file at all: no quarantine either.
    if (error instanceof WarehouseError && error.errorName === 'WAREHOUSE_MISSING') return [];
    throw error;
  }
}

/** The tenant's quarantines (only `table`'s when given), each with its counts and reasons. */
export async function listQuarantines(
  db: Pick<pg.ClientBase, 'query'>,
  wh: QuarantineWarehouse,
  tenantId: string,
  table: string | null,
): Promise<QuarantineSummary[]> {
  const existing = new Set(await quarantineTablesOf(wh, tenantId));
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM boitata_tables WHERE tenant_id = $1 UNION SELECT table_name FROM boitata_policies WHERE tenant_id = $1 AND table_name <> ''`,
    [tenantId],
  );
  const owners = new Map(rows.map((r) => [quarantineTableName(r.table_name), r.table_name]));
  const wanted = table === null ? [...existing].sort() : [quarantineTableName(table)].filter((name) => existing.has(name));
  const summaries: QuarantineSummary[] = [];
  for (const name of wanted) {
    const ref = wh.warehouse.tableRef(tenantId, name);
    summaries.push({ table: table ?? owners.get(name) ?? ownerByName(name), quarantine_table: name, ...(await summarize(wh, ref)) });
  }
  return summaries;
}

/** `_boitata_quarantine_orders` → `orders`; null for a cut name (a long table's, ending in a hash). */
function ownerByName(name: string): string | null {
  const table = name.slice(QUARANTINE_PREFIX.length);
  return quarantineTableName(table) === name ? table : null;
}

async function summarize(wh: QuarantineWarehouse, ref: TableRef): Promise<Omit<QuarantineSummary, 'table' | 'quarantine_table'>> {
  const [summary] = asObjects(await wh.warehouse.query(renderSummary(wh.dialect, ref)));
  const rows = Number(summary?.['rows'] ?? 0);
  const reasons = rows === 0 ? [] : asObjects(await wh.warehouse.query(renderReasons(wh.dialect, ref, REASONS_SHOWN)));
  return {
    rows,
    messages: Number(summary?.['messages'] ?? 0),
    oldest: (summary?.['oldest'] as string | null | undefined) ?? null,
    newest: (summary?.['newest'] as string | null | undefined) ?? null,
    reasons: reasons.map((r) => ({ reason: String(r['reason'] ?? ''), rows: Number(r['rows']) })),
  };
}
