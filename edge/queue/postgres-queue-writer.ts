// Enqueues into boitata_inbound_queue with one statement: the idempotency check and the insert in a single round trip.
import type { InboundMessage, Receipt } from '../../shared/queue-message.ts';
import { toHex } from '../auth/secrets.ts';
import type { SqlClient } from '../db/sql-client.ts';
import type { EnqueueResult, QueueWriter } from './queue-writer.ts';

// ON CONFLICT hits the partial unique index on (idempotency_scope, idempotency_key). When it does,
// the second branch returns the message already stored under that key, in the same statement.
export const ENQUEUE_SQL = `
WITH inserted AS (
  INSERT INTO boitata_inbound_queue
    (message_id, tenant_id, connection_id, api_key_id, endpoint, payload_format, target_table, item_key,
     payload, row_count, receipt, idempotency_scope, idempotency_key, request_sha256)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11::jsonb, $12, $13, decode($14, 'hex'))
  ON CONFLICT (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING true AS inserted, NULL::text AS request_sha256, NULL::jsonb AS receipt
)
SELECT inserted, request_sha256, receipt FROM inserted
UNION ALL
SELECT false, encode(q.request_sha256, 'hex'), q.receipt
  FROM boitata_inbound_queue q
 WHERE q.idempotency_scope = $12 AND q.idempotency_key = $13 AND NOT EXISTS (SELECT 1 FROM inserted)`;

// A concurrent insert of the same key that committed after our statement's snapshot is invisible
// to ENQUEUE_SQL's second branch; a fresh statement sees it.
const EXISTING_SQL = `
SELECT false AS inserted, encode(request_sha256, 'hex') AS request_sha256, receipt
  FROM boitata_inbound_queue WHERE idempotency_scope = $1 AND idempotency_key = $2`;

interface EnqueueRow {
  inserted: boolean;
  request_sha256: string | null;
  receipt: Receipt | null;
}

export class PostgresQueueWriter implements QueueWriter {
  private readonly sql: SqlClient;

  constructor(sql: SqlClient) {
    this.sql = sql;
  }

  async enqueue(message: InboundMessage): Promise<EnqueueResult> {
    let [row] = await this.sql.query<EnqueueRow>(ENQUEUE_SQL, [
      message.messageId,
      message.tenantId,
      message.connectionId,
      message.apiKeyId,
      message.endpoint,
      message.payloadFormat,
      message.targetTable,
      message.itemKey,
      message.payload,
      message.rowCount,
      JSON.stringify(message.receipt),
      message.idempotencyScope,
      message.idempotencyKey,
      toHex(message.requestSha256),
    ]);
    if (row === undefined && message.idempotencyKey !== null) {
      [row] = await this.sql.query<EnqueueRow>(EXISTING_SQL, [message.idempotencyScope, message.idempotencyKey]);
    }
    if (row === undefined) throw new Error('enqueue returned no row');
    if (row.inserted) return { kind: 'inserted' };
    return { kind: 'duplicate', requestSha256Hex: row.request_sha256 ?? '', receipt: row.receipt as Receipt };
  }
}
