// `boitata quarantine list|redrive`: what a tenant's `quarantine` contracts kept out of their tables (counts, times,
// reasons — never a row's values), and landing those rows after the contract or the schema was changed. Uses the
// warehouse the processor is configured for, as `boitata query` does (writing: a re-drive removes quarantined rows).
import type pg from 'pg';
import { cliActor } from '../processor/governance/audit.ts';
import { listQuarantines, type QuarantineSummary, type QuarantineWarehouse } from '../processor/governance/quarantine-listing.ts';
import { redriveQuarantine, type QuarantineRedriveResult } from '../processor/governance/quarantine-redrive.ts';
import { createWarehouse } from '../processor/warehouse/create-warehouse.ts';
import { required, UsageError, type Values } from './arguments.ts';
import { processorConfig, tableOption, tenantOption } from './governance-options.ts';
import { table, type Output } from './output.ts';
import { unknownCommand } from './usage.ts';

export async function runQuarantineCommand(
  db: pg.Pool,
  out: Output,
  command: string,
  rest: string[],
  values: Values,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (command !== 'quarantine list' && command !== 'quarantine redrive') throw unknownCommand(command);
  if (rest.length > 0) throw new UsageError(`${command} takes no arguments (got ${JSON.stringify(rest[0]!.slice(0, 64))}): use --tenant and --table`);
  const tenantId = await tenantOption(db, values);
  const tableName =
    command === 'quarantine redrive' ? tableOption(required(values.table, '--table')) : values.table === undefined ? null : tableOption(values.table);
  const config = processorConfig(env);
  // A list only reads (the DuckDB file opened read-only); a re-drive removes the rows it re-drove.
  const { warehouse, description } = createWarehouse(config, { readOnly: command === 'quarantine list' });
  const wh: QuarantineWarehouse = { warehouse, dialect: config.TRINO_URL === undefined ? 'duckdb' : 'trino' };
  try {
    if (command === 'quarantine list') {
      const list = await listQuarantines(db, wh, tenantId, tableName);
      const schema = warehouse.tableRef(tenantId, '').schema;
      return out.print({ tenant: tenantId, quarantines: list }, () => describeList(tenantId, tableName, list, description, schema));
    }
    const result = await redriveQuarantine(db, wh, {
      tenantId,
      table: tableName!,
      dryRun: values['dry-run'],
      actor: cliActor(values['requested-by']),
      via: 'cli',
    });
    return out.print(result, () => describeRedrive(result));
  } finally {
    await warehouse.close();
  }
}

function describeList(tenantId: string, tableName: string | null, list: QuarantineSummary[], where: string, schema: string): string {
  if (list.length === 0) return `No quarantine for ${tableName === null ? `tenant ${tenantId}` : `table ${tableName} of tenant ${tenantId}`} (${where}).`;
  const lines = [
    table(
      list.map((q) => ({ ...q, table: q.table ?? `? (${q.quarantine_table})` })),
      ['table', 'rows', 'messages', 'oldest', 'newest'],
    ),
  ];
  for (const q of list.filter((item) => item.reasons.length > 0)) {
    lines.push('', `${q.table ?? q.quarantine_table}: reasons`);
    for (const r of q.reasons) lines.push(`  ${String(r.rows).padStart(8)}  ${r.reason}`);
  }
  lines.push(
    '',
    `The rows themselves (personal data hashed): boitata query 'SELECT * FROM "${schema}"."${list[0]!.quarantine_table}"'`,
    `Land them after a contract or schema change: boitata quarantine redrive --tenant ${tenantId} --table <table> [--dry-run]`,
  );
  return lines.join('\n');
}

function describeRedrive(r: QuarantineRedriveResult): string {
  if (r.quarantined.messages === 0) return `Nothing to re-drive: table ${r.table} of tenant ${r.tenant} has no quarantined row.`;
  const counted = (c: { messages: number; rows: number }) => `${c.rows} row(s) of ${c.messages} message(s)`;
  const lines = [
    `Quarantine of table ${r.table} (tenant ${r.tenant}): ${counted(r.quarantined)}.`,
    r.dry_run
      ? `Would re-drive ${counted(r.redriven)}. Dry run: nothing changed.`
      : `Re-drove ${counted(r.redriven)} and removed those rows from the quarantine${r.dead_letters_replayed > 0 ? ` (${r.dead_letters_replayed} dead letter(s) replayed)` : ''}. ` +
        'A running processor lands them now under the table’s current contract: a row it still refuses is quarantined again.',
  ];
  if (r.in_flight.messages > 0) lines.push(`${counted(r.in_flight)} still queued or being landed: left in the quarantine; run this again once they landed.`);
  if (r.pruned.messages > 0)
    lines.push(`${counted(r.pruned)} no longer in the queue (pruned QUEUE_RETENTION_HOURS after landing): cannot be re-driven; left in the quarantine.`);
  return lines.join('\n');
}
