// Erasure receipts (boitata_erasures): opened 'running', closed 'done' or 'failed' with the report; read back by id or
// per tenant; and those a crashed processor left 'running' closed as failed at its next start. Never a plaintext value.
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
}

const COLUMNS = `id::text, tenant_id, requested_by, via, dry_run, match, status, report,
  to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started_at,
  to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS finished_at`;

export async function openReceipt(
  db: Db,
  receipt: { id: string; tenantId: string; requestedBy: string; via: AuditVia; dryRun: boolean; match: ReadonlyArray<{ column: string; hash: string }> },
): Promise<void> {
  await db.query(`INSERT INTO boitata_erasures (id, tenant_id, requested_by, via, dry_run, match) VALUES ($1, $2, $3, $4, $5, $6)`, [
    receipt.id,
    receipt.tenantId,
    receipt.requestedBy,
    receipt.via,
    receipt.dryRun,
    JSON.stringify(receipt.match),
  ]);
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
 * Receipts still 'running' when a processor starts were left by a processor that died mid-erasure (the admin API runs
 * erasures in the background): closed as failed, with the reason, so nobody takes them for done. Returns how many.
 * A CLI erasure is its own process's, not the processor's: left alone.
 */
export async function failAbandonedErasures(db: Db): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE boitata_erasures SET status = 'failed', finished_at = clock_timestamp(),
            report = report || jsonb_build_object('problems', COALESCE(report->'problems', '[]'::jsonb) || to_jsonb(ARRAY[$1::text]))
      WHERE status = 'running' AND via = 'admin_api'`,
    ['the processor stopped before this erasure finished (it was running when the processor restarted): run it again — it finds what is left'],
  );
  return rowCount ?? 0;
}
