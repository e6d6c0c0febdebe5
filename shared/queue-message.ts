// The contract between the edge and the processor: one row of boitata_inbound_queue, and the receipt a sender gets.
import type { PayloadFormat, TableRows } from './push-format.ts';
import type { Provenance } from './webhooks/presets.ts';

export type Endpoint = 'push' | 'webhook' | 'metrics' | 'event';

/** What the edge writes for one accepted request. `payload` is the JSON text stored as jsonb. */
export interface InboundMessage {
  messageId: string;
  tenantId: string;
  connectionId: string | null;
  apiKeyId: string | null;
  endpoint: Endpoint;
  payloadFormat: PayloadFormat;
  targetTable: string | null;
  itemKey: string | null;
  payload: string;
  rowCount: number;
  receipt: Receipt;
  idempotencyScope: string;
  idempotencyKey: string | null;
  /** SHA-256 (hex) of the request identity and body: what a repeated Idempotency-Key is compared with (null without a key). */
  requestSha256Hex: string | null;
  /** What a verified provider delivery said about itself (stored as the queue's `provenance`); null otherwise. */
  provenance: Provenance | null;
  /**
   * A verified delivery that breaks a content rule is stored, not refused (the provider would give up on it): as a
   * dead letter with this reason, visible and replayable. Null for every other message.
   */
  deadOnArrival: { code: string; reason: string } | null;
}

export interface TableReceipt {
  table: string;
  rows: number;
}

/** The 202 body of push, webhook and metrics (200 with `status: 'landed'` when `Prefer: wait=N` saw it land). */
export interface IngestReceipt {
  message_id: string;
  /**
   * `dead_lettered`: a verified provider delivery that breaks a content rule, stored with the reason in `error`.
   * `landed`: only in the 200 answer to `Prefer: wait=N`, never stored in the queue's `receipt`.
   */
  status: 'queued' | 'dead_lettered' | 'landed';
  tables: TableReceipt[];
  rows: number;
  error?: { code: string; message: string };
  /** With `status: 'landed'`: when the processor committed the message's rows (ISO-8601). */
  landed_at?: string;
  /** With `status: 'landed'`: what landed, table by table; null when the processor that landed it did not record it. */
  landed?: TableReceipt[] | null;
}

/** The 202 body of the events API, as seed 002 specifies, plus the queue message id (`landed` in the 200 of `Prefer: wait=N`). */
export interface EventReceipt {
  accepted: true;
  event_id: string;
  status: 'stored' | 'landed';
  message_id: string;
}

export type Receipt = IngestReceipt | EventReceipt;

export function buildIngestReceipt(messageId: string, tables: readonly TableRows[]): IngestReceipt {
  const counts = new Map<string, number>();
  for (const { table, rows } of tables) counts.set(table, (counts.get(table) ?? 0) + rows.length);
  const receiptTables = [...counts].map(([table, rows]) => ({ table, rows }));
  return {
    message_id: messageId,
    status: 'queued',
    tables: receiptTables,
    rows: receiptTables.reduce((sum, t) => sum + t.rows, 0),
  };
}

/**
 * The queue's `landed` jsonb as `{table, rows}` entries (jsonb keeps its keys sorted by length, so they come back
 * as `{rows, table}`): what a sender is shown, in the receipt's key order; null when absent or not that shape.
 */
export function landedTables(value: unknown): TableReceipt[] | null {
  if (!Array.isArray(value)) return null;
  const tables: TableReceipt[] = [];
  for (const entry of value as unknown[]) {
    const { table, rows } = (entry ?? {}) as { table?: unknown; rows?: unknown };
    if (typeof table !== 'string' || typeof rows !== 'number') return null;
    tables.push({ table, rows });
  }
  return tables;
}
