// Dead letters for operators: list them, and replay (the message goes back to the queue as pending).
import type pg from 'pg';

export interface DeadLetter {
  id: string;
  message_id: string;
  tenant_id: string;
  error_code: string;
  reason: string;
  attempts: number;
  dead_at: string;
  replayed_at: string | null;
}

export async function listDeadLetters(pool: pg.Pool, options: { tenantId?: string | undefined; includeReplayed?: boolean } = {}): Promise<DeadLetter[]> {
  const { rows } = await pool.query<DeadLetter>(
    `SELECT id::text, message_id::text, tenant_id, error_code, reason, attempts, dead_at::text, replayed_at::text
       FROM boitata_dead_letters
      WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2 OR replayed_at IS NULL)
      ORDER BY id`,
    [options.tenantId ?? null, options.includeReplayed ?? false],
  );
  return rows;
}

// Replays dead letters by id, or every open one of a tenant: the queue row is pending again with a fresh
// attempt count; rows of it that did land before are found by the exactly-once check and not written twice.
export async function replayDeadLetters(pool: pg.Pool, selector: { ids: string[] } | { tenantId: string }): Promise<number> {
  const byIds = 'ids' in selector;
  const { rowCount } = await pool.query(
    `WITH picked AS (
       UPDATE boitata_dead_letters SET replayed_at = clock_timestamp()
        WHERE replayed_at IS NULL AND ${byIds ? 'id = ANY($1::bigint[])' : 'tenant_id = $1'}
       RETURNING queue_id)
     UPDATE boitata_inbound_queue q
        SET status = 'pending', attempts = 1, failures = 0, available_at = clock_timestamp(), last_error = NULL, processed_at = NULL
       FROM picked WHERE q.id = picked.queue_id AND q.status = 'dead'`,
    [byIds ? selector.ids : selector.tenantId],
  );
  return rowCount ?? 0;
}
