// The queue side of a quarantine re-drive: which of the quarantined messages the queue still holds (and in what
// state), and putting the landed and dead ones back as re-drives — as `boitata messages redrive` does, by message id
// instead of by time range. The processor then lands each again, every row replacing its earlier version.
import type pg from 'pg';

type Sql = Pick<pg.ClientBase, 'query'>;

/** Message ids per statement: each chunk is one short transaction, as in processor/queue/redrive.ts. */
export const REQUEUE_CHUNK = 500;

export type QueueState = 'redrivable' | 'in_flight' | 'pruned';

/**
 * Each message id's state: `redrivable` (landed or dead: it can be re-driven), `in_flight` (queued or being landed:
 * it lands anyway; its quarantined rows are left for a later re-drive) or `pruned` (no longer in the queue:
 * QUEUE_RETENTION_HOURS after it landed, its payload is gone and it cannot be re-driven).
 */
export async function queueStates(db: Sql, tenantId: string, messageIds: readonly string[]): Promise<Map<string, QueueState>> {
  const states = new Map<string, QueueState>(messageIds.map((id) => [id, 'pruned']));
  for (let i = 0; i < messageIds.length; i += REQUEUE_CHUNK) {
    const { rows } = await db.query<{ message_id: string; status: string }>(
      `SELECT message_id::text, status FROM boitata_inbound_queue WHERE tenant_id = $1 AND message_id = ANY($2::uuid[])`,
      [tenantId, messageIds.slice(i, i + REQUEUE_CHUNK)],
    );
    for (const row of rows) states.set(row.message_id, row.status === 'done' || row.status === 'dead' ? 'redrivable' : 'in_flight');
  }
  return states;
}

/**
 * One chunk: the tenant's landed or dead messages among $2 go back to the queue as pending re-drives (a fresh attempt
 * count, as redrive.ts gives), their open dead letters closed as replayed. Returns the ids re-driven.
 */
const REQUEUE_SQL = `
WITH redriven AS (
  UPDATE boitata_inbound_queue q
     SET status = 'pending', redrive = true, redrives = q.redrives + 1, attempts = 1, failures = 0,
         available_at = clock_timestamp(), processed_at = NULL, last_error = NULL, lease_owner = NULL, lease_expires_at = NULL
   WHERE q.tenant_id = $1 AND q.message_id = ANY($2::uuid[]) AND q.status IN ('done', 'dead')
  RETURNING q.id, q.message_id
), replayed AS (
  UPDATE boitata_dead_letters d SET replayed_at = clock_timestamp()
    FROM redriven r
   WHERE d.queue_id = r.id AND d.replayed_at IS NULL
  RETURNING d.id
)
SELECT coalesce((SELECT array_agg(message_id::text) FROM redriven), '{}') AS redriven, (SELECT count(*) FROM replayed)::int AS dead_letters`;

export async function requeueMessages(db: Sql, tenantId: string, messageIds: readonly string[]): Promise<{ redriven: string[]; deadLetters: number }> {
  const result = { redriven: [] as string[], deadLetters: 0 };
  for (let i = 0; i < messageIds.length; i += REQUEUE_CHUNK) {
    const { rows } = await db.query<{ redriven: string[]; dead_letters: number }>(REQUEUE_SQL, [tenantId, messageIds.slice(i, i + REQUEUE_CHUNK)]);
    result.redriven.push(...(rows[0]?.redriven ?? []));
    result.deadLetters += rows[0]?.dead_letters ?? 0;
  }
  // Wake the processors (the channel the queue's insert trigger notifies), so they claim at once.
  if (result.redriven.length > 0) await db.query(`SELECT pg_notify('boitata_inbound', '')`);
  return result;
}
