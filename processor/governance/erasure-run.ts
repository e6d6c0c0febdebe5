// One erasure by data subject, start to end, for the CLI and the admin API alike: plan (tenant, match names → PII
// columns per table, values → keyed hashes), then scrub the queue and Postgres stores first (a pending message can
// never land the value after), wait out the claims in flight, delete the warehouse rows, make the deletes physical,
// and record the receipt and the audit entry. Only hashes and counts are kept; a value is never logged nor stored.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { redactReason } from '../../shared/redact-reason.ts';
import { loadAliases, loadColumns } from '../schema/catalog-sql.ts';
import type { PiiHasher } from '../schema/pii-hasher.ts';
import type { RegisteredColumn } from '../schema/table-schema.ts';
import { WarehouseError, type HashMatch, type Warehouse } from '../warehouse/warehouse.ts';
import { recordAudit, type AuditVia } from './audit.ts';
import {
  ErasureInputError,
  resolveErasureTargets,
  unknownNamesMessage,
  type CatalogTable,
  type MatchSpec,
  type NotSearched,
  type TableSearch,
} from './erasure-match.ts';
import { closeReceipt, openReceipt, startHeartbeat } from './erasure-receipts.ts';
import type { SubjectMatcher } from './erasure-scrub.ts';
import { addStoreCounts, emptyStoreCounts, scrubStores, type StoreCounts } from './erasure-stores.ts';
import { waitForClaims, claimsInFlight, type HeldClaim } from './erasure-claims.ts';
import { QUARANTINE_COLUMNS, quarantineTableName } from './quarantine-table.ts';

export interface ErasureRequest {
  tenantId: string;
  matches: readonly MatchSpec[];
  dryRun: boolean;
  requestedBy: string;
  via: AuditVia;
}

export interface ErasurePlan {
  request: ErasureRequest;
  matcher: SubjectMatcher;
  /** what the receipt keeps of the request: names and hashes */
  match: Array<{ column: string; hash: string }>;
  tables: TableSearch[];
  notSearched: NotSearched[];
}

export interface TableResult {
  table: string;
  columns: string[];
  rows: number;
}

export interface PurgeResult {
  table: string;
  format_version: number | null;
  purged: boolean;
  problem: string | null;
}

export interface ErasureReport {
  erasure_id: string;
  tenant: string;
  dry_run: boolean;
  status: 'done' | 'failed';
  requested_by: string;
  via: AuditVia;
  match: Array<{ column: string; hash: string }>;
  /** rows found (dry run) or deleted, per table searched; a table's quarantine (`_boitata_quarantine_…`) when rows were */
  warehouse: TableResult[];
  warehouse_rows: number;
  not_searched: NotSearched[];
  stores: StoreCounts;
  purge: PurgeResult[];
  /** messages a processor held when the queue was scrubbed, and how long the erasure waited for them */
  claims: { held: number; waited_seconds: number; still_held: number };
  problems: string[];
}

export interface ErasureDeps {
  db: pg.Pool;
  warehouse: Warehouse;
  hasher: PiiHasher;
  /** how often the receipt's heartbeat is refreshed while it runs (default erasure-receipts.ts HEARTBEAT_MS) */
  heartbeatMs?: number;
}

export type ErasureProgress = (step: { phase: 'queue' | 'claims' | 'warehouse' | 'purge'; done: number; total: number }) => void;

/** Checks the request against the tenant's catalog; throws ErasureInputError (what to fix, no value) when it cannot run. */
export async function planErasure(db: pg.Pool, hasher: PiiHasher, request: ErasureRequest): Promise<ErasurePlan> {
  const { rowCount } = await db.query('SELECT 1 FROM boitata_tenants WHERE id = $1', [request.tenantId]);
  if (rowCount === 0) throw new ErasureInputError('unknown_tenant', `no tenant ${JSON.stringify(request.tenantId)} (see boitata tenants list)`);
  const tables = await loadCatalog(db, request.tenantId);
  const targets = resolveErasureTargets(
    tables,
    request.matches.map((m) => m.column),
  );
  if (!targets.ok) throw new ErasureInputError('not_a_pii_column', unknownNamesMessage(request.tenantId, targets.unknown, targets.piiColumns));
  const hashOf = (value: unknown) => hasher.hash(request.tenantId, value);
  const match = request.matches.map((m) => ({ column: m.column, hash: hashOf(m.value) }));
  return {
    request,
    matcher: { hashOf, hashes: new Set(match.map((m) => m.hash)), values: [...new Set(request.matches.map((m) => m.value))] },
    match,
    tables: targets.tables,
    notSearched: targets.notSearched,
  };
}

async function loadCatalog(db: pg.Pool, tenantId: string): Promise<CatalogTable[]> {
  const { rows } = await db.query<{ table_name: string }>('SELECT table_name FROM boitata_tables WHERE tenant_id = $1 ORDER BY table_name', [tenantId]);
  const tables: CatalogTable[] = [];
  for (const { table_name: table } of rows) {
    const columns = (await loadColumns(db, tenantId, table)) ?? [];
    tables.push({ table, columns: new Map<string, RegisteredColumn>(columns.map((c) => [c.logical, c])), aliases: await loadAliases(db, tenantId, table) });
  }
  return tables;
}

/**
 * Opens the receipt (status running): what the admin API answers with before it runs the erasure in the background.
 * `processorId`: the processor that runs it (the admin API), so that another one starting meanwhile leaves it alone.
 */
export async function openErasure(db: pg.Pool, plan: ErasurePlan, processorId: string | null = null): Promise<string> {
  const id = randomUUID();
  const { request } = plan;
  await openReceipt(db, {
    id,
    tenantId: request.tenantId,
    requestedBy: request.requestedBy,
    via: request.via,
    dryRun: request.dryRun,
    match: plan.match,
    processorId,
  });
  return id;
}

/** Runs the erasure of an opened receipt to the end; never throws (a failure closes the receipt as failed). */
export async function runErasure(deps: ErasureDeps, plan: ErasurePlan, id: string, onProgress: ErasureProgress = () => undefined): Promise<ErasureReport> {
  const { request } = plan;
  const report: ErasureReport = {
    erasure_id: id,
    tenant: request.tenantId,
    dry_run: request.dryRun,
    status: 'done',
    requested_by: request.requestedBy,
    via: request.via,
    match: plan.match,
    warehouse: [],
    warehouse_rows: 0,
    not_searched: plan.notSearched,
    stores: emptyStoreCounts(),
    purge: [],
    claims: { held: 0, waited_seconds: 0, still_held: 0 },
    problems: [],
  };
  const stopHeartbeat = startHeartbeat(deps.db, id, deps.heartbeatMs);
  try {
    await eraseEverywhere(deps, plan, report, onProgress);
  } catch (error) {
    report.status = 'failed';
    report.problems.push(`stopped: ${redactReason((error as Error).message)} — run the erasure again: it finds what is left`);
  } finally {
    stopHeartbeat();
  }
  await closeReceipt(deps.db, id, report.status, receiptReport(report));
  await recordAudit(deps.db, {
    actor: request.requestedBy,
    via: request.via,
    action: 'erasure',
    tenantId: request.tenantId,
    details: {
      erasure_id: id,
      dry_run: request.dryRun,
      status: report.status,
      match_columns: plan.match.map((m) => m.column),
      warehouse_rows: report.warehouse_rows,
      tables: report.warehouse.filter((t) => t.rows > 0).map((t) => t.table),
      queue_messages: report.stores.queue_messages,
      dead_letters: report.stores.dead_letters,
      problems: report.problems.length,
    },
  });
  return report;
}

async function eraseEverywhere(deps: ErasureDeps, plan: ErasurePlan, report: ErasureReport, onProgress: ErasureProgress): Promise<void> {
  const { db, warehouse } = deps;
  const { request, matcher } = plan;
  const dryRun = request.dryRun;
  // 1. The queue and the other Postgres stores first: from now on no message can land the value.
  const before = dryRun ? [] : await claimsInFlight(db, request.tenantId);
  report.stores = await scrubStores(db, request.tenantId, matcher, { dryRun, onProgress: (done) => onProgress({ phase: 'queue', done, total: done }) });
  // A message claimed while the scrub ran (before the scrub reached its row) was read with the value too: the claims
  // held after the scrub are waited for as well. A claim made after its row was scrubbed reads the scrubbed payload.
  const held = dryRun ? [] : distinctClaims([...before, ...(await claimsInFlight(db, request.tenantId))]);
  // 2. Messages a processor had already claimed are loaded from its copy: wait until those claims end (landed,
  //    retried or expired), then scrub again what they may have written meanwhile (a last error), and delete after.
  if (held.length > 0) {
    const started = Date.now();
    report.claims = { held: held.length, waited_seconds: 0, still_held: 0 };
    report.claims.still_held = await waitForClaims(db, held, (left) => onProgress({ phase: 'claims', done: held.length - left, total: held.length }));
    report.claims.waited_seconds = Math.round((Date.now() - started) / 100) / 10;
    if (report.claims.still_held > 0) {
      report.problems.push(
        `${report.claims.still_held} message(s) were still held by a processor past their lease and 30 s: rows they land later are not erased — run the erasure again`,
      );
    }
    report.stores = addStoreCounts(report.stores, await scrubStores(db, request.tenantId, matcher, { dryRun }));
  }
  // 3. The warehouse: count or delete per table (PII columns reached by a match name, and the rescue column), then in
  //    its quarantine, if it has one: rows whose flattened JSON or rescue quotes a hash (listed only when found).
  const hashes = [...matcher.hashes];
  const find = (table: string, match: HashMatch) => {
    const ref = warehouse.tableRef(request.tenantId, table);
    return dryRun ? warehouse.countMatching(ref, match) : warehouse.deleteMatching(ref, match);
  };
  // A table the warehouse refuses for good (a format-v1 Iceberg table cannot take row-level deletes) is reported and
  // the others are still erased; the receipt then ends failed, naming it. A transient failure stops the erasure.
  const refused: string[] = [];
  const findOrReport = async (table: string, match: HashMatch): Promise<number> => {
    try {
      return await find(table, match);
    } catch (error) {
      if (!(error instanceof WarehouseError && error.kind === 'permanent')) throw error;
      refused.push(table);
      report.problems.push(`${table}: not erased: ${redactReason(error.message)}`);
      return 0;
    }
  };
  let done = 0;
  for (const search of plan.tables) {
    const rows = await findOrReport(search.table, { columns: search.columns, hashes, rescue: true });
    report.warehouse.push({ table: search.table, columns: search.reachedBy.map((r) => (r.via === 'alias' ? `${r.column} (as ${r.name})` : r.column)), rows });
    const quarantine = quarantineTableName(search.table);
    const quarantined = await findOrReport(quarantine, { columns: [], hashes, rescue: true, quoted: [QUARANTINE_COLUMNS.row] });
    if (quarantined > 0) report.warehouse.push({ table: quarantine, columns: [QUARANTINE_COLUMNS.row], rows: quarantined });
    report.warehouse_rows += rows + quarantined;
    onProgress({ phase: 'warehouse', done: (done += 1), total: plan.tables.length });
  }
  if (dryRun) {
    if (refused.length > 0) report.status = 'failed';
    return;
  }
  // 4. Physical: rewrite the files with deletes, expire older snapshots, remove orphans (time travel to before is gone).
  const affected = report.warehouse.filter((t) => t.rows > 0);
  done = 0;
  for (const { table } of affected) {
    const purge = await warehouse.purgeDeleted(warehouse.tableRef(request.tenantId, table));
    report.purge.push({ table, format_version: purge.formatVersion, purged: purge.purged, problem: purge.problem });
    if (purge.problem !== null) report.problems.push(`${table}: the deleted rows are not physically removed yet: ${purge.problem}`);
    onProgress({ phase: 'purge', done: (done += 1), total: affected.length });
  }
  if (refused.length > 0) report.status = 'failed';
}

/** Each (message, attempt) claim once. */
function distinctClaims(claims: readonly HeldClaim[]): HeldClaim[] {
  return [...new Map(claims.map((claim) => [`${claim.id}:${claim.attempts}`, claim])).values()];
}

/** The receipt's report: the counts, without the fields the receipt's own columns hold. */
function receiptReport(report: ErasureReport): Record<string, unknown> {
  return {
    warehouse: report.warehouse,
    warehouse_rows: report.warehouse_rows,
    not_searched: report.not_searched,
    stores: report.stores,
    purge: report.purge,
    claims: report.claims,
    problems: report.problems,
  };
}
