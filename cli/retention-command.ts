// `boitata retention run [--tenant T] [--dry-run] [--json]`: each table's retention applied now, as maintenance applies
// it every MAINTENANCE_INTERVAL_MINUTES — rows received before now − retention are deleted (or, dry, counted).
import type pg from 'pg';
import { cliActor, recordAudit } from '../processor/governance/audit.ts';
import { formatRetention } from '../processor/governance/policies.ts';
import { applyRetention, loadRetentionTargets, summarizeRetention, type RetentionOutcome } from '../processor/governance/retention-run.ts';
import { createWarehouse } from '../processor/warehouse/create-warehouse.ts';
import { UsageError, type Values } from './arguments.ts';
import { processorConfig } from './governance-options.ts';
import { table, type Output } from './output.ts';
import { ProvisionError } from './provision-error.ts';
import { assertTenant } from './tenants.ts';
import { unknownCommand } from './usage.ts';

export async function runRetentionCommand(
  db: pg.Pool,
  out: Output,
  action: string | undefined,
  values: Values,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (action !== 'run') throw unknownCommand(`retention ${action ?? ''}`.trim());
  if (values.table !== undefined) throw new UsageError('retention run applies every table of a tenant: give --tenant T, not --table');
  const tenant = values.tenant;
  if (tenant !== undefined) await assertTenant(db, tenant);
  const dryRun = values['dry-run'];
  const config = processorConfig(env);
  const now = new Date();
  const targets = await loadRetentionTargets(db, tenant === undefined ? null : [tenant], now);
  // A dry run only reads (a DuckDB file the processor holds can still be read between its writes).
  const { warehouse, description } = createWarehouse(config, { readOnly: dryRun });
  let outcomes: RetentionOutcome[];
  try {
    outcomes = await applyRetention(warehouse, targets, { dryRun });
  } finally {
    await warehouse.close();
  }
  const summary = summarizeRetention(outcomes);
  if (!dryRun) await audit(db, values, tenant ?? null, outcomes);
  const json = {
    dry_run: dryRun,
    now: now.toISOString(),
    warehouse: description,
    tables: outcomes.map((o) => ({
      tenant: o.tenantId,
      table: o.table,
      retention: formatRetention(o.retentionSeconds),
      retention_seconds: o.retentionSeconds,
      retention_from: o.retentionFrom,
      cutoff: o.cutoff,
      rows: o.rows,
      error: o.error,
    })),
    rows: summary.rows,
    failed_tables: summary.failedTables,
  };
  out.print(json, () => describe(json, config.TRINO_URL !== undefined));
  if (summary.failedTables > 0) {
    throw new ProvisionError(
      `retention failed on ${summary.failedTables} table(s) (their error is above); the others ${dryRun ? 'were counted' : 'were applied'}`,
    );
  }
}

type RetentionJson = {
  dry_run: boolean;
  warehouse: string;
  tables: Array<{ tenant: string; table: string; retention: string; retention_from: string; cutoff: string; rows: number | null; error: string | null }>;
  rows: number;
};

function describe(json: RetentionJson, iceberg: boolean): string {
  if (json.tables.length === 0) return 'No table has a retention (boitata tables set --retention, boitata tenants set --retention): nothing to delete.';
  const rowsHeader = json.dry_run ? 'would_delete' : 'deleted';
  const rows = json.tables.map((t) => ({ ...t, from: t.retention_from, [rowsHeader]: t.error === null ? t.rows : `failed: ${t.error}` }));
  const lines = [
    `${json.dry_run ? 'Dry run on' : 'Retention on'} ${json.warehouse}: rows received before the cutoff (UTC) ${json.dry_run ? 'would be' : 'were'} deleted.`,
    table(rows, ['tenant', 'table', 'retention', 'from', 'cutoff', rowsHeader]),
    json.dry_run ? `${json.rows} row(s) would be deleted; nothing was changed.` : `Deleted ${json.rows} row(s).`,
  ];
  if (!json.dry_run && iceberg && json.rows > 0) {
    lines.push(
      'On Iceberg the rows are gone from queries now; their data stays in older snapshots until maintenance expires them (MAINTENANCE_SNAPSHOT_RETENTION).',
    );
  }
  return lines.join('\n');
}

/** One audit entry per tenant the run touched (so `audit list --tenant T` finds it); one with no tenant when none. */
async function audit(db: pg.Pool, values: Values, tenant: string | null, outcomes: readonly RetentionOutcome[]): Promise<void> {
  const actor = cliActor(values['requested-by']);
  const tenants = [...new Set(outcomes.map((o) => o.tenantId))];
  for (const tenantId of tenants.length === 0 ? [tenant] : tenants) {
    const own = outcomes.filter((o) => o.tenantId === tenantId);
    await recordAudit(db, {
      actor,
      via: 'cli',
      action: 'retention.run',
      tenantId,
      details: {
        tables: own.map((o) => ({ table: o.table, retention_seconds: o.retentionSeconds, cutoff: o.cutoff, deleted_rows: o.rows, error: o.error })),
        deleted_rows: own.reduce((sum, o) => sum + (o.rows ?? 0), 0),
      },
    });
  }
}
