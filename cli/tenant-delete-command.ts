// `boitata tenants delete --tenant T --requested-by WHO [--dry-run]`: removes a tenant from Postgres and the warehouse
// (processor/governance/tenant-delete.ts), after a dry run that shows what would go; prints the receipt.
import type pg from 'pg';
import { cliActor } from '../processor/governance/audit.ts';
import {
  deleteTenant,
  planTenantDeletion,
  readReceipt,
  WarehouseMismatchError,
  type DeletionPlan,
  type DeletionReceipt,
  type DeletionReport,
} from '../processor/governance/tenant-delete.ts';
import type { WarehouseInventory } from '../processor/governance/tenant-delete-warehouse.ts';
import { createWarehouse } from '../processor/warehouse/create-warehouse.ts';
import { required, UsageError, type Values } from './arguments.ts';
import { processorConfig } from './governance-options.ts';
import { table, type Output } from './output.ts';
import { ProvisionError } from './provision-error.ts';

export async function runTenantDelete(db: pg.Pool, out: Output, rest: string[], values: Values, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (rest.length > 0) throw new UsageError(`tenants delete takes --tenant T, not an argument (got ${JSON.stringify(rest[0])})`);
  const tenantId = required(values.tenant, '--tenant');
  const dryRun = values['dry-run'];
  // Who asked is the receipt's first line: required, not the OS user, for an act that cannot be undone.
  if (!dryRun && (values['requested-by'] ?? '').trim() === '') {
    throw new UsageError('tenants delete needs --requested-by WHO (the person or ticket asking; it goes on the receipt). Try --dry-run first.');
  }
  const config = processorConfig(env);
  // A dry run only reads (DuckDB: shared with a running processor); a deletion writes.
  const { warehouse, description } = createWarehouse(config, { readOnly: dryRun });
  try {
    if (dryRun) {
      const planned = await planTenantDeletion(db, warehouse, tenantId).catch((error: Error) => {
        throw error instanceof WarehouseMismatchError
          ? new ProvisionError(error.message)
          : new ProvisionError(`could not list what tenant ${tenantId} has on ${description}: ${error.message.slice(0, 500)}`);
      });
      if (planned.kind === 'unknown') throw noTenant(tenantId);
      if (planned.kind === 'deleted') return printAlreadyDeleted(out, planned.receipt);
      return out.print({ dry_run: true, tenant: tenantId, ...planJson(planned.plan) }, () => describePlan(planned.plan, description));
    }
    const outcome = await deleteTenant(
      db,
      warehouse,
      { tenantId, actor: cliActor(values['requested-by']), via: 'cli' },
      { onWait: (seconds) => process.stderr.write(`Waiting up to ${seconds} s for a processor's in-flight batch of ${tenantId} (its lease)…\n`) },
    ).catch(async (error: Error) => {
      if (error instanceof WarehouseMismatchError) throw new ProvisionError(error.message);
      const receipt = await readReceipt(db, tenantId).catch(() => null);
      const state =
        receipt?.report.status === 'warehouse_pending'
          ? `Its Postgres rows and credentials are deleted; its tables on ${description} are not yet.`
          : 'Nothing was deleted.';
      throw new ProvisionError(
        `deleting tenant ${tenantId} stopped: ${error.message.slice(0, 500)}. ${state} Run the same command again to finish (--dry-run shows what is left).`,
      );
    });
    if (outcome.kind === 'unknown') throw noTenant(tenantId);
    if (outcome.kind === 'deleted') return printAlreadyDeleted(out, outcome.receipt);
    const { receipt } = outcome;
    return out.print(
      { dry_run: false, tenant: tenantId, resumed: outcome.resumed, deleted_at: receipt.deleted_at, requested_by: receipt.requested_by, ...receipt.report },
      () =>
        [
          `Deleted tenant ${tenantId}${outcome.resumed ? ' (finished an interrupted deletion)' : ''}, requested by ${receipt.requested_by}.`,
          describeReport(receipt.report, description),
          `The receipt stays in boitata_deleted_tenants; the id ${tenantId} cannot be used again. Gates may accept a push with a cached ` +
            'credential for up to GATE_CONFIG_TTL_SECONDS (default 30 s): such a push is refused, never stored.',
        ].join('\n'),
    );
  } finally {
    await warehouse.close();
  }
}

const noTenant = (tenantId: string) =>
  new ProvisionError(`no tenant ${JSON.stringify(tenantId)} (see boitata tenants list), and none was deleted under that id`);

function printAlreadyDeleted(out: Output, receipt: DeletionReceipt): void {
  out.print(
    { already_deleted: true, tenant: receipt.id, deleted_at: receipt.deleted_at, requested_by: receipt.requested_by, ...receipt.report },
    () => `Tenant ${receipt.id} was already deleted on ${receipt.deleted_at.toISOString()} (requested by ${receipt.requested_by}): nothing left to delete.`,
  );
}

function planJson(plan: DeletionPlan) {
  return { state: plan.state, postgres: plan.postgres, warehouse: plan.warehouse };
}

function describePlan(plan: DeletionPlan, description: string): string {
  return [
    plan.state === 'unfinished'
      ? `Tenant ${plan.tenantId}'s Postgres rows are already deleted; its warehouse part is not: running the command finishes it.`
      : `Would delete tenant ${plan.tenantId}:`,
    ...postgresLines(plan.postgres),
    ...warehouseLines(plan.warehouse, description),
    'Dry run: nothing was deleted. Run it again with --requested-by WHO and without --dry-run to delete.',
  ].join('\n');
}

function describeReport(report: DeletionReport, description: string): string {
  return [...postgresLines(report.postgres), ...warehouseLines(report.warehouse, description)].join('\n');
}

function postgresLines(counts: Record<string, number>): string[] {
  const rows = Object.entries(counts).map(([store, rows]) => ({ store, rows }));
  return rows.length === 0 ? ['Postgres: no rows.'] : ['Postgres (rows per table):', table(rows, ['store', 'rows'])];
}

function warehouseLines(inventory: WarehouseInventory, description: string): string[] {
  const where = `schema ${inventory.schema} on ${description}`;
  if (inventory.tables.length === 0) return [`Warehouse: no table in ${where} (the schema is dropped if it exists).`];
  return [
    `Warehouse: ${inventory.tables.length} table(s) and ${where}:`,
    table(
      inventory.tables.map((t) => ({ table: t.name, rows: t.rows ?? 'not there', registered: t.registered ? 'yes' : 'no' })),
      ['table', 'rows', 'registered'],
    ),
  ];
}
