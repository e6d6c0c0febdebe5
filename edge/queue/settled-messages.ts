// Which of a gate's awaited messages have settled (landed or died): the one statement a landing watch polls with,
// for every message its waiting requests await at once.
import { landedTables, type TableReceipt } from '../../shared/queue-message.ts';
import { redactReason } from '../../shared/redact-reason.ts';
import type { QueryOptions, SqlClient } from '../db/sql-client.ts';
import { ISO_TIMESTAMP } from './message-status-reader.ts';

export type SettledMessage =
  { messageId: string; state: 'landed'; landedAt: string; landed: TableReceipt[] | null } | { messageId: string; state: 'dead'; code: string; reason: string };

// By message_id (unique index), only rows that settled: a poll of messages still queued returns nothing.
export const SETTLED_MESSAGES_SQL = `
SELECT q.message_id::text, q.status, q.landed,
       to_char(q.processed_at AT TIME ZONE 'UTC', ${ISO_TIMESTAMP}) AS processed_at,
       d.error_code, d.reason
  FROM boitata_inbound_queue q
  LEFT JOIN LATERAL (
        SELECT l.error_code, l.reason
          FROM boitata_dead_letters l
         WHERE l.tenant_id = q.tenant_id AND l.queue_id = q.id AND l.replayed_at IS NULL
         ORDER BY l.id DESC
         LIMIT 1) d ON q.status = 'dead'
 WHERE q.message_id = ANY($1::uuid[]) AND q.status IN ('done', 'dead')`;

interface SettledRow {
  message_id: string;
  status: 'done' | 'dead';
  landed: TableReceipt[] | null;
  processed_at: string | null;
  error_code: string | null;
  reason: string | null;
}

export async function readSettledMessages(sql: SqlClient, messageIds: readonly string[], options?: QueryOptions): Promise<SettledMessage[]> {
  if (messageIds.length === 0) return [];
  const rows = await sql.query<SettledRow>(SETTLED_MESSAGES_SQL, [[...messageIds]], options);
  return rows.map((row) =>
    row.status === 'done'
      ? { messageId: row.message_id, state: 'landed', landedAt: row.processed_at ?? '', landed: landedTables(row.landed) }
      : { messageId: row.message_id, state: 'dead', code: row.error_code ?? 'unknown', reason: redactReason(row.reason ?? '') },
  );
}
