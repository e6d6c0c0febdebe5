// Reads one message as its sender may see it (GET /v1/ingest/messages/{message_id}): the queue row, only within the
// credential's tenant and idempotency scope, with its latest dead letter. One statement, one round trip.
import { messageState, type MessageStatus } from '../../shared/message-status.ts';
import { landedTables, type Receipt, type TableReceipt } from '../../shared/queue-message.ts';
import { redactReason } from '../../shared/redact-reason.ts';
import type { QueryOptions, SqlClient } from '../db/sql-client.ts';

/** ISO-8601 in UTC with milliseconds, as JavaScript writes it, whatever the session's time zone. */
export const ISO_TIMESTAMP = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

// The scope is part of the key, not a check after the read: another credential's message (or another tenant's) is
// not found, exactly as an unknown id is. message_id is unique, so the row is found by its index; the dead letter by
// the open-dead-letters index of its tenant (a dead message's latest dead letter is open: replay closes it and
// makes the message pending again).
export const MESSAGE_STATUS_SQL = `
SELECT q.message_id::text, q.status, q.receipt, q.target_table, q.row_count, q.landed, q.attempts, q.last_error,
       to_char(q.received_at AT TIME ZONE 'UTC', ${ISO_TIMESTAMP}) AS received_at,
       to_char(q.processed_at AT TIME ZONE 'UTC', ${ISO_TIMESTAMP}) AS processed_at,
       d.error_code, d.reason, to_char(d.dead_at AT TIME ZONE 'UTC', ${ISO_TIMESTAMP}) AS dead_at
  FROM boitata_inbound_queue q
  LEFT JOIN LATERAL (
        SELECT l.error_code, l.reason, l.dead_at
          FROM boitata_dead_letters l
         WHERE l.tenant_id = q.tenant_id AND l.queue_id = q.id AND l.replayed_at IS NULL
         ORDER BY l.id DESC
         LIMIT 1) d ON q.status = 'dead'
 WHERE q.message_id = $1::uuid AND q.tenant_id = $2 AND q.idempotency_scope = $3::uuid`;

export interface MessageStatusRow {
  message_id: string;
  status: 'pending' | 'processing' | 'done' | 'dead';
  receipt: Receipt | null;
  target_table: string | null;
  row_count: number;
  landed: TableReceipt[] | null;
  attempts: number;
  last_error: string | null;
  received_at: string;
  processed_at: string | null;
  error_code: string | null;
  reason: string | null;
  dead_at: string | null;
}

/** Whose messages a credential may read: its tenant's, sent under its idempotency scope (connection or key lineage). */
export interface MessageScope {
  messageId: string;
  tenantId: string;
  idempotencyScope: string;
}

// 8-4-4-4-12 hex: anything else is not a message id, and Postgres would refuse to cast it.
const MESSAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isMessageId(value: string): boolean {
  return MESSAGE_ID.test(value);
}

/** The message, or null when this scope has none with this id (unknown, another credential's, pruned by retention). */
export async function readMessageStatus(sql: SqlClient, scope: MessageScope, options?: QueryOptions): Promise<MessageStatus | null> {
  if (!isMessageId(scope.messageId)) return null;
  const [row] = await sql.query<MessageStatusRow>(MESSAGE_STATUS_SQL, [scope.messageId, scope.tenantId, scope.idempotencyScope], options);
  return row === undefined ? null : toMessageStatus(row);
}

/** The row as the sender sees it: the state, what it was accepted for and what landed, and a dead letter's reason redacted. */
export function toMessageStatus(row: MessageStatusRow): MessageStatus {
  const state = messageState(row.status);
  return {
    message_id: row.message_id,
    state,
    accepted: acceptedTables(row),
    landed: state === 'landed' ? landedTables(row.landed) : null,
    received_at: row.received_at,
    landed_at: state === 'landed' ? row.processed_at : null,
    attempts: row.attempts,
    dead:
      state === 'dead'
        ? {
            // A dead message always has its dead letter; the queue's last_error stands in should one ever be missing.
            code: row.error_code ?? 'unknown',
            reason: redactReason(row.reason ?? row.last_error ?? ''),
            dead_at: row.dead_at ?? row.processed_at ?? row.received_at,
          }
        : null,
  };
}

/** The tables of its receipt; an event's receipt (seed 002) names none: its one row went to the target table. */
function acceptedTables(row: MessageStatusRow): TableReceipt[] {
  const receipt = row.receipt;
  if (receipt !== null && 'tables' in receipt && Array.isArray(receipt.tables)) return receipt.tables.map(({ table, rows }) => ({ table, rows }));
  return row.target_table === null ? [] : [{ table: row.target_table, rows: row.row_count }];
}
