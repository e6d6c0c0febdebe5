// Enqueues a batch into boitata_inbound_queue with one statement: idempotency checks and inserts in a single round trip.
import type { InboundMessage, Receipt } from '../../shared/queue-message.ts';
import type { Provenance } from '../../shared/webhooks/presets.ts';
import type { QueryOptions, SqlClient } from '../db/sql-client.ts';
import type { EnqueueResult, QueueWriter } from './queue-writer.ts';

// $1 is a JSON array of messages (json, not jsonb: each receipt keeps its text, so replays are byte-identical). ON CONFLICT hits the partial unique index on (idempotency_scope,
// idempotency_key); for a message it skipped, the join returns the message already stored under that key.
export const ENQUEUE_BATCH_SQL = `
WITH input AS (
  SELECT * FROM json_to_recordset($1::json) AS m(
    ord integer, message_id uuid, tenant_id text, connection_id uuid, api_key_id uuid, endpoint text,
    payload_format text, target_table text, item_key text, payload jsonb, payload_bytes integer, row_count integer, receipt json,
    idempotency_scope uuid, idempotency_key text, request_sha256 text, provenance jsonb, dead_code text, dead_reason text)
),
inserted AS (
  INSERT INTO boitata_inbound_queue
    (message_id, tenant_id, connection_id, api_key_id, endpoint, payload_format, target_table, item_key,
     payload, payload_bytes, row_count, receipt, idempotency_scope, idempotency_key, request_sha256, provenance,
     status, last_error)
  SELECT message_id, tenant_id, connection_id, api_key_id, endpoint, payload_format, target_table, item_key,
         payload, payload_bytes, row_count, receipt, idempotency_scope, idempotency_key, decode(request_sha256, 'hex'),
         provenance, CASE WHEN dead_code IS NULL THEN 'pending' ELSE 'dead' END, dead_reason
    FROM input ORDER BY ord
  ON CONFLICT (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id, message_id
),
-- A verified delivery that breaks a content rule is stored dead, with its dead letter, in the same statement.
dead_on_arrival AS (
  INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts)
  SELECT ins.id, ins.message_id, i.tenant_id, i.dead_code, i.dead_reason, 0
    FROM inserted ins JOIN input i ON i.message_id = ins.message_id
   WHERE i.dead_code IS NOT NULL
)
SELECT i.ord, ins.message_id IS NOT NULL AS inserted, encode(q.request_sha256, 'hex') AS request_sha256, q.receipt
  FROM input i
  LEFT JOIN inserted ins ON ins.message_id = i.message_id
  LEFT JOIN boitata_inbound_queue q
         ON ins.message_id IS NULL AND q.idempotency_scope = i.idempotency_scope AND q.idempotency_key = i.idempotency_key
 ORDER BY i.ord`;

// A key inserted by a concurrent statement (or earlier in the same batch) is invisible to the
// statement's snapshot; a fresh statement sees it.
const EXISTING_SQL = `
SELECT encode(request_sha256, 'hex') AS request_sha256, receipt
  FROM boitata_inbound_queue WHERE idempotency_scope = $1 AND idempotency_key = $2`;

interface BatchRow {
  ord: number;
  inserted: boolean;
  request_sha256: string | null;
  receipt: Receipt | null;
}

export class PostgresQueueWriter implements QueueWriter {
  private readonly sql: SqlClient;

  constructor(sql: SqlClient) {
    this.sql = sql;
  }

  async enqueueBatch(messages: readonly InboundMessage[], options?: QueryOptions): Promise<EnqueueResult[]> {
    const rows = await this.sql.query<BatchRow>(ENQUEUE_BATCH_SQL, [renderBatch(messages)], options);
    // The statement has committed: from here on each message is settled on its own, so one failed
    // look-up never turns the others' stored messages into errors.
    const results: EnqueueResult[] = [];
    for (const [ord, message] of messages.entries()) {
      const row = rows[ord];
      if (row?.inserted) results.push({ kind: 'inserted' });
      else if (row?.receipt != null && row.request_sha256 !== null) {
        results.push({ kind: 'duplicate', requestSha256Hex: row.request_sha256, receipt: row.receipt });
      } else results.push(await this.lookUpExisting(message, options));
    }
    return results;
  }

  async findStored(messageIds: readonly string[], options?: QueryOptions): Promise<Set<string>> {
    const rows = await this.sql.query<{ message_id: string }>(
      'SELECT message_id::text FROM boitata_inbound_queue WHERE message_id = ANY($1::uuid[])',
      [[...messageIds]],
      options,
    );
    return new Set(rows.map((row) => row.message_id));
  }

  private async lookUpExisting(message: InboundMessage, options?: QueryOptions): Promise<EnqueueResult> {
    try {
      const [existing] = await this.sql.query<BatchRow>(EXISTING_SQL, [message.idempotencyScope, message.idempotencyKey], options);
      if (existing?.receipt == null || existing.request_sha256 === null) {
        return { kind: 'failed', error: new Error(`message ${message.messageId} was neither inserted nor found under its idempotency key`) };
      }
      return { kind: 'duplicate', requestSha256Hex: existing.request_sha256, receipt: existing.receipt };
    } catch (error) {
      return { kind: 'failed', error };
    }
  }
}

const utf8 = new TextEncoder();

/**
 * The batch as one JSON document. Payloads are embedded as the validated JSON text they arrived as, not re-serialized.
 * `payload_bytes` is that text's UTF-8 length: the processor caps the bytes of a claim with it.
 */
export function renderBatch(messages: readonly InboundMessage[]): string {
  const parts = messages.map((m, ord) => {
    const fields = JSON.stringify({
      ord,
      message_id: m.messageId,
      tenant_id: m.tenantId,
      connection_id: m.connectionId,
      api_key_id: m.apiKeyId,
      endpoint: m.endpoint,
      payload_format: m.payloadFormat,
      target_table: m.targetTable,
      item_key: m.itemKey,
      payload_bytes: utf8.encode(m.payload).byteLength,
      row_count: m.rowCount,
      receipt: m.receipt,
      idempotency_scope: m.idempotencyScope,
      idempotency_key: m.idempotencyKey,
      request_sha256: m.requestSha256Hex,
      provenance: m.provenance === null ? null : provenanceRecord(m.provenance),
      dead_code: m.deadOnArrival?.code ?? null,
      dead_reason: m.deadOnArrival?.reason ?? null,
    });
    return `${fields.slice(0, -1)},"payload":${m.payload}}`;
  });
  return `[${parts.join(',')}]`;
}

/** The queue's `provenance` jsonb: snake_case, as the processor reads it. */
function provenanceRecord(p: Provenance): Record<string, string | null> {
  return {
    provider: p.provider,
    delivery_id: p.deliveryId,
    event_type: p.eventType,
    provider_timestamp: p.providerTimestamp,
    shop_domain: p.shopDomain,
    hook_id: p.hookId,
  };
}
