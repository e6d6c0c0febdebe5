// Deleting a tenant completely (`boitata tenants delete`): Postgres first, in one transaction (credentials, queue,
// dead letters, registry, policies, the tenant row) with a receipt listing the warehouse tables; then the warehouse
// (its tables and schema). Why that order: once the transaction commits no credential authenticates, no queue row is
// left to land and no table can be registered again (foreign keys on the tenant), so nothing re-creates the dropped
// tables; and a crash between the two steps leaves the receipt `warehouse_pending`, which a re-run finishes.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { withTransaction } from '../../database/with-transaction.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { recordAudit, type AuditVia } from './audit.ts';
import { countTenantRows, deleteTenantRows } from './tenant-delete-stores.ts';
import { dropTenantWarehouse, inventoryWarehouse, type WarehouseInventory } from './tenant-delete-warehouse.ts';

/** What boitata_deleted_tenants.report holds: ids, names and counts only. */
export interface DeletionReport {
  status: 'warehouse_pending' | 'done';
  via: AuditVia;
  /** rows deleted per Postgres table */
  postgres: Record<string, number>;
  warehouse: WarehouseInventory & { dropped: string[] | null };
  /** the latest lease of a batch of this tenant a processor held when the rows were deleted (ISO), or null */
  in_flight_until: string | null;
  postgres_deleted_at: string;
  finished_at: string | null;
}

export interface DeletionReceipt {
  id: string;
  deleted_at: Date;
  requested_by: string;
  report: DeletionReport;
}

/** What `--dry-run` shows: what would go, store by store. `unfinished`: Postgres is done, the warehouse is not. */
export interface DeletionPlan {
  tenantId: string;
  state: 'active' | 'unfinished';
  postgres: Record<string, number>;
  warehouse: WarehouseInventory;
}

export type PlanOutcome = { kind: 'unknown' } | { kind: 'deleted'; receipt: DeletionReceipt } | { kind: 'plan'; plan: DeletionPlan };

export type DeleteOutcome = { kind: 'unknown' } | { kind: 'deleted'; receipt: DeletionReceipt } | { kind: 'done'; receipt: DeletionReceipt; resumed: boolean };

export interface DeleteRequest {
  tenantId: string;
  actor: string;
  via: AuditVia;
}

export interface DeleteOptions {
  /** told how long the command waits for a processor's in-flight batch of the tenant (its lease) */
  onWait?: (seconds: number) => void;
}

/** A lease is never longer than PROCESSOR_LEASE_SECONDS' maximum; this bounds the wait even for a bad clock. */
const MAX_WAIT_MS = 15 * 60_000;

export async function readReceipt(db: Pick<pg.ClientBase, 'query'>, tenantId: string): Promise<DeletionReceipt | null> {
  const { rows } = await db.query<DeletionReceipt>('SELECT id, deleted_at, requested_by, report FROM boitata_deleted_tenants WHERE id = $1', [tenantId]);
  return rows[0] ?? null;
}

/** What deleting the tenant would remove (nothing is changed); the warehouse is read, so an unreachable one fails here. */
export async function planTenantDeletion(db: pg.Pool, warehouse: Warehouse, tenantId: string): Promise<PlanOutcome> {
  const receipt = await readReceipt(db, tenantId);
  const { rowCount } = await db.query('SELECT 1 FROM boitata_tenants WHERE id = $1', [tenantId]);
  if (rowCount === 0 && receipt === null) return { kind: 'unknown' };
  if (rowCount === 0 && receipt!.report.status === 'done') return { kind: 'deleted', receipt: receipt! };
  const registered = rowCount === 0 ? receipt!.report.warehouse.tables.map((table) => table.name) : await registeredTables(db, warehouse, tenantId);
  return {
    kind: 'plan',
    plan: {
      tenantId,
      state: rowCount === 0 ? 'unfinished' : 'active',
      postgres: await countTenantRows(db, tenantId),
      warehouse: await inventoryWarehouse(warehouse, tenantId, registered),
    },
  };
}

/** Thrown when this process's warehouse settings do not name the schema the processor wrote the tenant's tables in. */
export class WarehouseMismatchError extends Error {
  override readonly name = 'WarehouseMismatchError';
}

/**
 * The tenant's registered tables, once the registry agrees with this configuration on where they are: with another
 * TRINO_SCHEMA_PREFIX (or catalog) the command would drop tables of the wrong schema, perhaps another tenant's.
 */
async function registeredTables(db: pg.Pool, warehouse: Warehouse, tenantId: string): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string; warehouse_schema: string; warehouse_table: string }>(
    'SELECT table_name, warehouse_schema, warehouse_table FROM boitata_tables WHERE tenant_id = $1 ORDER BY table_name',
    [tenantId],
  );
  for (const row of rows) {
    const ref = warehouse.tableRef(tenantId, row.table_name);
    if (ref.schema !== row.warehouse_schema || ref.table !== row.warehouse_table) {
      throw new WarehouseMismatchError(
        `table ${row.table_name} of tenant ${tenantId} is ${row.warehouse_schema}.${row.warehouse_table} in the registry, but this configuration ` +
          `places it at ${ref.schema}.${ref.table}: run with the processor's TRINO_SCHEMA_PREFIX (and warehouse settings). Nothing was deleted.`,
      );
    }
  }
  return rows.map((row) => row.table_name);
}

/**
 * A deletion finished by a later run drops what its receipt recorded, where it recorded it: run with other warehouse
 * settings (another TRINO_SCHEMA_PREFIX or catalog), it would drop another schema — perhaps another tenant's.
 */
function assertSameWarehouse(warehouse: Warehouse, tenantId: string, recorded: { catalog: string; schema: string }): void {
  const here = warehouse.tableRef(tenantId, 'any');
  if (here.catalog !== recorded.catalog || here.schema !== recorded.schema) {
    throw new WarehouseMismatchError(
      `the deletion of tenant ${tenantId} recorded its tables in ${recorded.catalog}.${recorded.schema}, but this configuration places them in ` +
        `${here.catalog}.${here.schema}: run with the processor's warehouse settings (TRINO_CATALOG, TRINO_SCHEMA_PREFIX). Nothing was dropped.`,
    );
  }
}

/** Deletes the tenant everywhere, or finishes a deletion a crash interrupted; a finished one is reported as it was. */
export async function deleteTenant(db: pg.Pool, warehouse: Warehouse, request: DeleteRequest, options: DeleteOptions = {}): Promise<DeleteOutcome> {
  const planned = await planTenantDeletion(db, warehouse, request.tenantId);
  if (planned.kind !== 'plan') return planned;
  const { plan } = planned;
  const resumed = plan.state === 'unfinished';
  if (!resumed) {
    const committed = await deletePostgresRows(db, plan, request);
    // Another `tenants delete` of the same tenant committed first: finish (or report) what it did.
    if (!committed) return deleteTenant(db, warehouse, request, options);
  }
  const receipt = (await readReceipt(db, request.tenantId))!;
  assertSameWarehouse(warehouse, request.tenantId, receipt.report.warehouse);
  await waitForInFlightBatch(receipt.report.in_flight_until, options);
  const dropped = await dropTenantWarehouse(
    warehouse,
    request.tenantId,
    receipt.report.warehouse.tables.map((table) => table.name),
  );
  const finished: DeletionReport = {
    ...receipt.report,
    status: 'done',
    warehouse: { ...receipt.report.warehouse, dropped },
    finished_at: new Date().toISOString(),
  };
  await withTransaction(db, async (client) => {
    await client.query('UPDATE boitata_deleted_tenants SET report = $2 WHERE id = $1', [request.tenantId, JSON.stringify(finished)]);
    if (resumed) {
      await recordAudit(client, {
        actor: request.actor,
        via: request.via,
        action: 'tenant.delete',
        tenantId: request.tenantId,
        details: { resumed: true, warehouse_schema: finished.warehouse.schema, warehouse_tables_dropped: dropped },
      });
    }
  });
  return { kind: 'done', receipt: { ...receipt, report: finished }, resumed };
}

/** The Postgres step, one transaction: rows, receipt and audit entry together. False when the tenant was gone already. */
async function deletePostgresRows(db: pg.Pool, plan: DeletionPlan, request: DeleteRequest): Promise<boolean> {
  return withTransaction(db, async (client) => {
    // Locks out new rows referencing the tenant (an edge insert waits, then fails its foreign key) until we commit.
    const { rowCount } = await client.query('SELECT 1 FROM boitata_tenants WHERE id = $1 FOR UPDATE', [request.tenantId]);
    if (rowCount === 0) return false;
    const { rows: registered } = await client.query<{ table_name: string }>('SELECT table_name FROM boitata_tables WHERE tenant_id = $1', [request.tenantId]);
    const {
      rows: [lease],
    } = await client.query<{ until: Date | null }>(
      `SELECT max(lease_expires_at) AS until FROM boitata_inbound_queue WHERE tenant_id = $1 AND status = 'processing'`,
      [request.tenantId],
    );
    const counts = await deleteTenantRows(client, request.tenantId);
    // A table registered since the plan was made is dropped too (with no rows counted: it was not in the plan).
    const known = new Set(plan.warehouse.tables.map((table) => table.name));
    const tables = [
      ...plan.warehouse.tables,
      ...registered.filter((row) => !known.has(row.table_name)).map((row) => ({ name: row.table_name, registered: true, rows: null })),
    ];
    const report: DeletionReport = {
      status: 'warehouse_pending',
      via: request.via,
      postgres: counts,
      warehouse: { ...plan.warehouse, tables, dropped: null },
      in_flight_until: lease?.until?.toISOString() ?? null,
      postgres_deleted_at: new Date().toISOString(),
      finished_at: null,
    };
    await client.query(
      `INSERT INTO boitata_deleted_tenants (id, requested_by, report) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET requested_by = excluded.requested_by, report = excluded.report, deleted_at = clock_timestamp()`,
      [request.tenantId, request.actor, JSON.stringify(report)],
    );
    await recordAudit(client, {
      actor: request.actor,
      via: request.via,
      action: 'tenant.delete',
      tenantId: request.tenantId,
      details: {
        postgres_rows: counts,
        warehouse_schema: plan.warehouse.schema,
        warehouse_tables: tables.map((table) => ({ name: table.name, rows: table.rows })),
      },
    });
    return true;
  });
}

/**
 * A processor that claimed a batch of the tenant before the commit learns at its next lease check that its rows are
 * gone and writes nothing; one past that check finishes its write within its lease. Waiting for the latest lease
 * it held means that write lands before the tables are dropped, not after (where it would re-create nothing, but fail).
 */
async function waitForInFlightBatch(until: string | null, options: DeleteOptions): Promise<void> {
  if (until === null) return;
  const waitMs = Math.min(Date.parse(until) - Date.now(), MAX_WAIT_MS);
  if (waitMs <= 0) return;
  options.onWait?.(Math.ceil(waitMs / 1000));
  await sleep(waitMs);
}
