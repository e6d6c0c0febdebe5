// Erasure receipts (boitata_erasures): opened 'running', closed 'done' or 'failed' with the report; read back by id or
// per tenant; a heartbeat while one runs; and those a stopped processor left 'running' closed as failed by the next
// processor to start. Never a plaintext value.
import type pg from 'pg';
import type { AuditVia } from './audit.ts';

type Db = Pick<pg.ClientBase, 'query'>;

export interface ErasureReceipt {
  id: string;
  tenant_id: string;
  requested_by: string;
  via: AuditVia;
  dry_run: boolean;
  /** [{column, hash}] */
  match: Array<{ column: string; hash: string }>;
  status: 'running' | 'done' | 'failed';
  report: Record<string, unknown>;
  started_at: string;
  finished_at: string | null;
  /** the processor running it (admin API); null for the CLI */
  processor_id: string | null;
  /** when its runner last said it was still at it */
  heartbeat_at: string | null;
}

const COLUMNS = `id::text, tenant_id, requested_by, via, dry_run, match, status, report,
  to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started_at,
  to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS finished_at, processor_id,
  to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS heartbeat_at`;

/** How often a running erasure says it still is. */
export const HEARTBEAT_MS = 30_000;
/** A 'running' receipt whose heartbeat is older than this is taken for abandoned (four missed heartbeats). */
export const ABANDONED_AFTER_SECONDS = 120;

export async function openReceipt(
  db: Db,
  receipt: {
    id: string;
    tenantId: string;
    requestedBy: string;
    via: AuditVia;
    dryRun: boolean;
    match: ReadonlyArray<{ column: string; hash: string }>;
    /** the processor that runs it (admin API); null for the CLI */
    processorId: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO boitata_erasures (id, tenant_id, requested_by, via, dry_run, match, processor_id, heartbeat_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp())`,
    [receipt.id, receipt.tenantId, receipt.requestedBy, receipt.via, receipt.dryRun, JSON.stringify(receipt.match), receipt.processorId],
  );
}

/** Says the erasure is still running (a processor's start leaves it alone while this is recent). */
export async function heartbeatReceipt(db: Db, id: string): Promise<void> {
  await db.query(`UPDATE boitata_erasures SET heartbeat_at = clock_timestamp() WHERE id = $1 AND status = 'running'`, [id]);
}

/**
 * Refreshes the receipt's heartbeat every `everyMs` until the returned stop is called. A failed refresh is ignored:
 * the database being gone fails the erasure itself, and one missed beat is far from the abandonment bound.
 */
export function startHeartbeat(db: Db, id: string, everyMs = HEARTBEAT_MS): () => void {
  const timer = setInterval(() => void heartbeatReceipt(db, id).catch(() => undefined), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

export async function closeReceipt(db: Db, id: string, status: 'done' | 'failed', report: Record<string, unknown>): Promise<void> {
  await db.query(`UPDATE boitata_erasures SET status = $2, report = $3, finished_at = clock_timestamp() WHERE id = $1`, [id, status, JSON.stringify(report)]);
}

/** The receipt; null when there is none (or the id is not a uuid). */
export async function getReceipt(db: Db, id: string): Promise<ErasureReceipt | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const { rows } = await db.query<ErasureReceipt>(`SELECT ${COLUMNS} FROM boitata_erasures WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** A tenant's receipts, newest first. */
export async function listReceipts(db: Db, tenantId: string, limit = 100): Promise<ErasureReceipt[]> {
  const { rows } = await db.query<ErasureReceipt>(`SELECT ${COLUMNS} FROM boitata_erasures WHERE tenant_id = $1 ORDER BY started_at DESC LIMIT $2`, [
    tenantId,
    limit,
  ]);
  return rows;
}

/**
 * Admin API receipts still 'running' that no live processor runs (the admin API runs erasures in the background, so a
 * processor that stops mid-erasure leaves its receipt open): closed as failed, with the reason, so nobody takes them
 * for done. Called by a starting processor with its id: its own (an earlier run under the same PROCESSOR_ID) and those
 * whose heartbeat is older than `staleSeconds` — never one another live processor is running. Returns how many.
 * A CLI erasure is its own process's, not a processor's: left alone.
 */
export async function failAbandonedErasures(db: Db, processorId: string, staleSeconds = ABANDONED_AFTER_SECONDS): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE boitata_erasures SET status = 'failed', finished_at = clock_timestamp(),
            report = report || jsonb_build_object('problems', COALESCE(report->'problems', '[]'::jsonb) || to_jsonb(ARRAY[$1::text]))
      WHERE status = 'running' AND via = 'admin_api'
        AND (processor_id = $2 OR COALESCE(heartbeat_at, started_at) < clock_timestamp() - make_interval(secs => $3))`,
    [
      'the processor running this erasure stopped before it finished (restarted, or silent for too long): run it again — it finds what is left',
      processorId,
      staleSeconds,
    ],
  );
  return rowCount ?? 0;
}
