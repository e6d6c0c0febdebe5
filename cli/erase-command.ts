// `boitata erase` (a data subject's erasure, with the processor's configuration and PII key) and `boitata erasures
// list|show` (the receipts). The value to erase is never printed: reports show the match names and their hashes.
import type pg from 'pg';
import { type ProcessorConfig } from '../processor/config.ts';
import { ErasureInputError } from '../processor/governance/erasure-match.ts';
import { getReceipt, listReceipts, type ErasureReceipt } from '../processor/governance/erasure-receipts.ts';
import { openErasure, planErasure, runErasure, type ErasureReport } from '../processor/governance/erasure-run.ts';
import type { Warehouse } from '../processor/warehouse/warehouse.ts';
import { required, UsageError, type Values } from './arguments.ts';
import { processorConfig } from './governance-options.ts';
import { table, type Output } from './output.ts';
import { loadCliPiiHasher } from './pii-hash-key.ts';
import { readMatchInput } from './erase-match-input.ts';
import { progressBar, type ProgressBar } from './progress-bar.ts';
import { ProvisionError } from './provision-error.ts';
import { unknownCommand } from './usage.ts';

/** A running processor may hold the DuckDB file for a whole batch: the erasure waits for it this long per call. */
const DUCKDB_LOCK_WAIT_MS = 60_000;

export async function runEraseCommand(
  db: pg.Pool,
  out: Output,
  command: string,
  rest: string[],
  values: Values,
  env: NodeJS.ProcessEnv = process.env,
  progress: NodeJS.WriteStream = process.stderr,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<void> {
  switch (command) {
    case 'erase':
      return erase(db, out, values, env, progress, stdin);
    case 'erasures list': {
      const receipts = await listReceipts(db, required(values.tenant, '--tenant'));
      return out.print(receipts, () => table(receipts.map(summaryRow), ['id', 'started_at', 'status', 'dry_run', 'via', 'requested_by', 'warehouse_rows']));
    }
    case 'erasures show': {
      const id = required(rest[0], 'erasure id');
      const receipt = await getReceipt(db, id);
      if (receipt === null) throw new ProvisionError(`no erasure ${JSON.stringify(id)} (see boitata erasures list --tenant T)`);
      return out.print(receipt, () => describeReceipt(receipt));
    }
    default:
      throw unknownCommand(command);
  }
}

async function erase(
  db: pg.Pool,
  out: Output,
  values: Values,
  env: NodeJS.ProcessEnv,
  progress: NodeJS.WriteStream,
  stdin: NodeJS.ReadableStream,
): Promise<void> {
  const tenantId = required(values.tenant, '--tenant');
  const requestedBy = values['requested-by']?.trim() ?? '';
  if (requestedBy === '')
    throw new UsageError('--requested-by is required for an erasure: the ticket or person asking (the receipt and the audit trail keep it)');
  const dryRun = values['dry-run'];
  const matches = await asUsage(() => readMatchInput(values.match, values['match-file'], stdin));
  const config = processorConfig(env);
  const key = await loadCliPiiHasher(db, env);
  const hasher = key.hasher;
  if (hasher === null) {
    throw new UsageError(
      "no PII hash key to find the subject with: set PII_HASH_MODE and PII_HASH_KEY to the processor's values (or run the processor once to make its development key)",
    );
  }
  const plan = await asUsage(() => planErasure(db, hasher, { tenantId, matches, dryRun, requestedBy, via: 'cli' }));
  const warehouse = await writer(config);
  let bar: ProgressBar | null = null;
  let phase = '';
  try {
    const id = await openErasure(db, plan);
    const report = await runErasure({ db, warehouse, hasher }, plan, id, (step) => {
      if (step.phase !== 'warehouse' && step.phase !== 'purge') return;
      if (step.phase !== phase) {
        bar?.end();
        phase = step.phase;
        bar = progressBar(progress, step.total, step.phase === 'warehouse' ? `tables ${dryRun ? 'searched' : 'erased'}` : 'tables purged');
      }
      bar?.update(step.done);
    });
    (bar as ProgressBar | null)?.end();
    out.print(report, () => describeReport(report));
    if (report.status === 'failed') throw new ProvisionError(`erasure ${id} did not finish: ${report.problems.join('; ')}`);
  } finally {
    await warehouse.close();
  }
}

/** An erasure request that cannot run as written: exit 2, with what to fix. */
async function asUsage<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ErasureInputError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The processor's warehouse, for writing: on DuckDB waiting longer than the loader does for a processor to let go.
 * Loaded only once the request is valid: the warehouse clients (DuckDB's native module) are slow to import.
 */
async function writer(config: ProcessorConfig): Promise<Warehouse> {
  const { createWarehouse, duckDbPath } = await import('../processor/warehouse/create-warehouse.ts');
  if (config.TRINO_URL !== undefined) return createWarehouse(config).warehouse;
  const { DuckDbWarehouse } = await import('../processor/warehouse/duckdb-warehouse.ts');
  return new DuckDbWarehouse({ path: duckDbPath(config), schemaPrefix: config.TRINO_SCHEMA_PREFIX, lockWaitMs: DUCKDB_LOCK_WAIT_MS });
}

function describeReport(report: ErasureReport): string {
  const verb = report.dry_run ? 'Would erase' : 'Erased';
  const s = report.stores;
  const q = s.queue_messages;
  const lines = [
    `${report.dry_run ? 'Dry run of erasure' : 'Erasure'} ${report.erasure_id} for tenant ${report.tenant} (${report.status}), matching ` +
      report.match.map((m) => `${m.column} (hash ${m.hash.slice(0, 12)}…)`).join(', '),
    `${verb} ${report.warehouse_rows} warehouse row(s):`,
    table(report.warehouse as never, ['table', 'rows', 'columns']),
    `Queue: ${q.pending + q.processing + q.done + q.dead} message(s) (${q.pending} pending, ${q.processing} processing, ${q.done} done, ${q.dead} dead), ` +
      `${s.queue_values} value(s); ${s.queue_errors} last error(s); ${s.dead_letters} dead letter(s); catalog: ${s.alias_evidence} alias evidence, ` +
      `${s.schema_history} schema history, ${s.model_answers} model answer(s).`,
  ];
  if (report.not_searched.length > 0) {
    lines.push('Not searched (not a PII column: it holds values, not hashes):');
    lines.push(table(report.not_searched as never, ['table', 'name', 'column']));
  }
  if (report.purge.length > 0) lines.push('Made physical:', table(report.purge as never, ['table', 'purged', 'format_version', 'problem']));
  if (report.claims.held > 0) lines.push(`Waited ${report.claims.waited_seconds} s for ${report.claims.held} message(s) a processor was landing.`);
  for (const problem of report.problems) lines.push(`Problem: ${problem}`);
  lines.push(
    report.dry_run
      ? 'Dry run: nothing changed. Run it again without --dry-run to erase.'
      : `Receipt: boitata erasures show ${report.erasure_id}. Values are matched exactly as sent: repeat --match for each variant.`,
  );
  return lines.join('\n');
}

function summaryRow(receipt: ErasureReceipt): Record<string, unknown> {
  return { ...receipt, warehouse_rows: receipt.report['warehouse_rows'] ?? null };
}

function describeReceipt(receipt: ErasureReceipt): string {
  return [
    `Erasure ${receipt.id} of tenant ${receipt.tenant_id}: ${receipt.status}${receipt.dry_run ? ' (dry run)' : ''}`,
    `Requested by ${receipt.requested_by} via ${receipt.via}; started ${receipt.started_at}, finished ${receipt.finished_at ?? '-'}`,
    `Match: ${receipt.match.map((m) => `${m.column}=hash ${m.hash}`).join(', ')}`,
    JSON.stringify(receipt.report, null, 2),
  ].join('\n');
}
