// Retention of the raw payloads kept outside the warehouse: `done` queue rows past QUEUE_RETENTION_HOURS after they
// landed, `dead` ones (with their dead letters, ON DELETE CASCADE) past QUEUE_DEAD_RETENTION_HOURS after they died.
// Deleted in bounded batches, each its own short transaction, so a large backlog never holds locks for long.
import type pg from 'pg';

/** Queue rows deleted per statement. */
export const QUEUE_PRUNE_BATCH = 10_000;

/** The edge's idempotency backstop needs every queue row for 24 h: no retention is shorter. */
export const MIN_QUEUE_RETENTION_HOURS = 24;

export interface QueuePruned {
  messages: number;
  /** dead letters deleted with their messages (a `done` row may have some: replayed ones) */
  deadLetters: number;
}

// When a row settled: a `done` row's landing; a `dead` row's death, or its arrival for one the edge stored dead on
// arrival (no processed_at). Each expression is the one its partial index holds (0005, 0011), so the scan uses it.
const SETTLED_AT = { done: 'processed_at', dead: 'COALESCE(processed_at, received_at)' } as const;

export function renderPruneQueue(status: 'done' | 'dead'): string {
  return `WITH picked AS (
  SELECT id FROM boitata_inbound_queue
   WHERE status = '${status}' AND ${SETTLED_AT[status]} < clock_timestamp() - make_interval(hours => $1)
     AND ($2::text[] IS NULL OR tenant_id = ANY($2::text[]))
   LIMIT $3 FOR UPDATE SKIP LOCKED
), letters AS (
  SELECT count(*)::int AS n FROM boitata_dead_letters WHERE queue_id IN (SELECT id FROM picked)
), deleted AS (
  DELETE FROM boitata_inbound_queue q USING picked WHERE q.id = picked.id RETURNING q.id
)
SELECT (SELECT count(*)::int FROM deleted) AS messages, (SELECT n FROM letters) AS dead_letters`;
}

/**
 * Deletes the tenants' (null: every tenant's) queue rows of `status` settled more than `hours` ago (never under 24),
 * batch after batch until none is left.
 */
export async function pruneQueue(
  db: Pick<pg.ClientBase, 'query'>,
  status: 'done' | 'dead',
  hours: number,
  tenants: readonly string[] | null,
  batchSize = QUEUE_PRUNE_BATCH,
): Promise<QueuePruned> {
  const sql = renderPruneQueue(status);
  const total: QueuePruned = { messages: 0, deadLetters: 0 };
  for (;;) {
    const { rows } = await db.query<{ messages: number; dead_letters: number }>(sql, [
      Math.max(hours, MIN_QUEUE_RETENTION_HOURS),
      tenants === null ? null : [...tenants],
      batchSize,
    ]);
    const batch = rows[0] ?? { messages: 0, dead_letters: 0 };
    total.messages += batch.messages;
    total.deadLetters += batch.dead_letters;
    if (batch.messages < batchSize) return total;
  }
}
