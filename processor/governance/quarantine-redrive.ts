// Re-driving a table's quarantine (`boitata quarantine redrive`), after its contract or schema was changed: the
// messages whose rows were quarantined are re-driven from the queue (each row replaces its earlier version by
// message id and row id, so a row that landed before is not duplicated), and only then are the quarantined rows of
// those messages removed — those quarantined at or before the newest seen before the re-drive, so a row the re-drive
// quarantines again (the contract still refuses it) stays. A crash in between leaves the rows quarantined and their
// messages re-driven: running it again re-drives them again (harmless) and removes the rows.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { WarehouseError } from '../warehouse/warehouse.ts';
import { recordAudit, type AuditVia } from './audit.ts';
import { asObjects, quarantineTablesOf, type QuarantineWarehouse } from './quarantine-listing.ts';
import { queueStates, requeueMessages, REQUEUE_CHUNK } from './quarantine-requeue.ts';
import { renderDeleteRedriven, renderMessages } from './quarantine-sql.ts';
import { quarantineTableName } from './quarantine-table.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Counted {
  messages: number;
  rows: number;
}

export interface QuarantineRedriveResult {
  tenant: string;
  table: string;
  quarantine_table: string;
  dry_run: boolean;
  /** what the quarantine held when the re-drive started */
  quarantined: Counted;
  /** re-driven (dry run: would be), and their quarantined rows removed */
  redriven: Counted;
  /** still queued or being landed: not re-driven, rows left (run again once they landed) */
  in_flight: Counted;
  /** no longer in the queue (QUEUE_RETENTION_HOURS): cannot be re-driven, rows left */
  pruned: Counted;
  dead_letters_replayed: number;
  /** quarantined rows removed (0 in a dry run) */
  removed_rows: number;
  /** the newest quarantine time seen before the re-drive: rows up to it were removed; null when nothing was */
  cutoff: string | null;
}

export interface RedriveRequest {
  tenantId: string;
  /** lower case */
  table: string;
  dryRun: boolean;
  actor: string;
  via: AuditVia;
  /** called once the messages are re-queued, before their quarantined rows are removed (tests: a crash, a race) */
  afterRequeue?: () => Promise<void>;
}

const zero = (): Counted => ({ messages: 0, rows: 0 });

export async function redriveQuarantine(pool: pg.Pool, wh: QuarantineWarehouse, request: RedriveRequest): Promise<QuarantineRedriveResult> {
  const { tenantId, table, dryRun } = request;
  const name = quarantineTableName(table);
  const result: QuarantineRedriveResult = {
    tenant: tenantId,
    table,
    quarantine_table: name,
    dry_run: dryRun,
    quarantined: zero(),
    redriven: zero(),
    in_flight: zero(),
    pruned: zero(),
    dead_letters_replayed: 0,
    removed_rows: 0,
    cutoff: null,
  };
  if (!(await quarantineTablesOf(wh, tenantId)).includes(name)) return result;
  const ref = wh.warehouse.tableRef(tenantId, name);
  const held = asObjects(await wh.warehouse.query(renderMessages(wh.dialect, ref))).map((row) => ({
    id: String(row['message_id']).toLowerCase(),
    rows: Number(row['rows']),
    newest: row['newest'] as string | null,
  }));
  const rowsOf = new Map(held.map((m) => [m.id, m.rows]));
  const add = (counted: Counted, id: string) => {
    counted.messages++;
    counted.rows += rowsOf.get(id) ?? 0;
  };
  for (const m of held) add(result.quarantined, m.id);
  // A message id that is not a UUID never came from the queue: it cannot be re-driven, as a pruned one.
  const states = await queueStates(
    pool,
    tenantId,
    held.map((m) => m.id).filter((id) => UUID.test(id)),
  );
  for (const m of held) {
    const state = states.get(m.id) ?? 'pruned';
    if (state === 'redrivable') {
      if (dryRun) add(result.redriven, m.id);
    } else add(state === 'in_flight' ? result.in_flight : result.pruned, m.id);
  }
  if (dryRun) return result;

  const cutoff = held.reduce<string | null>((latest, m) => (m.newest !== null && (latest === null || m.newest > latest) ? m.newest : latest), null);
  const redrivable = held.filter((m) => states.get(m.id) === 'redrivable').map((m) => m.id);
  const requeued = await requeueMessages(pool, tenantId, redrivable);
  const taken = new Set(requeued.redriven);
  for (const id of taken) add(result.redriven, id);
  // One re-driven by someone else in between is in flight now: its rows stay.
  for (const id of redrivable) if (!taken.has(id)) add(result.in_flight, id);
  result.dead_letters_replayed = requeued.deadLetters;
  await request.afterRequeue?.();
  if (requeued.redriven.length > 0 && cutoff !== null) {
    result.cutoff = cutoff;
    for (let i = 0; i < requeued.redriven.length; i += REQUEUE_CHUNK) {
      await removeRows(wh, ref, requeued.redriven.slice(i, i + REQUEUE_CHUNK), cutoff);
    }
    result.removed_rows = result.redriven.rows;
  }
  await recordAudit(pool, {
    actor: request.actor,
    via: request.via,
    action: 'quarantine.redrive',
    tenantId,
    details: {
      table,
      quarantine_table: name,
      quarantined: result.quarantined,
      redriven: result.redriven,
      in_flight: result.in_flight,
      pruned: result.pruned,
      dead_letters_replayed: result.dead_letters_replayed,
      cutoff: result.cutoff,
    },
  });
  return result;
}

/** How long removing the rows waits for a processor holding the DuckDB file (it is landing the re-driven messages). */
const LOCKED_RETRIES = 30;

async function removeRows(wh: QuarantineWarehouse, ref: ReturnType<QuarantineWarehouse['warehouse']['tableRef']>, ids: string[], cutoff: string) {
  const statement = renderDeleteRedriven(wh.dialect, ref, ids, cutoff);
  for (let attempt = 1; ; attempt++) {
    try {
      // DuckDB's `query` reads unless this process has the file open for writing: describeTable opens it so, and
      // the two calls queued together run back to back on that one connection.
      if (wh.dialect === 'duckdb') await Promise.all([wh.warehouse.describeTable(ref), wh.warehouse.query(statement)]);
      else await wh.warehouse.query(statement);
      return;
    } catch (error) {
      if (!(error instanceof WarehouseError && error.errorName === 'WAREHOUSE_LOCKED') || attempt >= LOCKED_RETRIES) throw error;
      await sleep(1000);
    }
  }
}
