// Message search and inspection for operators — `boitata messages list|show` and the status page's /messages —
// and the one home of their SQL: a tenant's messages newest first (metadata only), one message with its dead
// letters, and its payload with every personal value replaced by the hash the processor writes.
import type { MessageState } from '../../shared/message-status.ts';
import { messageState } from '../../shared/message-status.ts';
import type { PayloadFormat } from '../../shared/push-format.ts';
import type { Endpoint } from '../../shared/queue-message.ts';
import { redactReason } from '../../shared/redact-reason.ts';
import { parsePayload } from '../normalize/parse-payload.ts';
import type { Sql } from '../schema/catalog-sql.ts';
import { maskPiiPayload, type MaskedPayload, type RegisteredTables } from '../schema/mask-pii-payload.ts';
import type { PiiHasher } from '../schema/pii-hasher.ts';
import type { RegisteredColumn } from '../schema/table-schema.ts';
import { columnType } from '../schema/type-table.ts';
import type { MessageSearch } from './message-filter.ts';

export interface TableCount {
  table: string;
  rows: number;
}

/** Who sent it: the credential the edge verified (a connection's ingest token, or an API key). */
export interface MessageCredential {
  kind: 'connection' | 'source_key' | 'metrics_key';
  id: string;
  /** the connection's name, or the source key's source id; null for a metrics key */
  name: string | null;
}

/** A message's metadata: never a payload value (last_error is redacted). */
export interface MessageSummary {
  message_id: string;
  tenant_id: string;
  state: MessageState;
  endpoint: Endpoint;
  payload_format: PayloadFormat;
  /** the table named outside the body (?table=, x-target-table, the webhook stream, events); null when the body names it */
  target_table: string | null;
  /** the X-Item-Key field name (not a value) */
  item_key: string | null;
  /** ISO-8601 with microseconds: pass it to --until to continue a list after it */
  received_at: string;
  /** when the processor committed its rows; null unless landed */
  landed_at: string | null;
  /** when a queued message may next be claimed (later than received after a failed attempt) */
  available_at: string;
  attempts: number;
  /** failed attempts that count towards PROCESSOR_MAX_ATTEMPTS */
  failures: number;
  rows: number;
  /** bytes of the stored JSON as the edge measured them; null for messages of an older edge */
  payload_bytes: number | null;
  /** what it was accepted for (its 202 receipt) */
  accepted: TableCount[];
  /** what landed, table by table; null until landed (and for messages landed before migration 0010) */
  landed: TableCount[] | null;
  idempotency_key: string | null;
  credential: MessageCredential;
  /** a verified provider delivery: the preset, the provider's delivery id and event type */
  provider: { name: string | null; delivery_id: string | null; event_type: string | null } | null;
  /** the last failure, values redacted (shared/redact-reason.ts) */
  last_error: string | null;
  redrives: number;
  /** a re-drive was asked and has not landed yet */
  redrive_pending: boolean;
}

export interface MessageDeadLetter {
  id: string;
  error_code: string;
  /** redacted */
  reason: string;
  attempts: number;
  dead_at: string;
  replayed_at: string | null;
}

export interface MessageSearchResult {
  messages: MessageSummary[];
  /** more messages match than `limit`: continue with until = the last one's received_at (or before = its id) */
  more: boolean;
  limit: number;
}

export interface MessageDetail extends MessageSummary {
  dead_letters: MessageDeadLetter[];
}

/** Microsecond ISO text: a Date would drop the microseconds, and `--until <the last shown>` would skip or repeat. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const SUMMARY_COLUMNS = `
       q.message_id::text AS message_id, q.tenant_id, q.status, q.endpoint, q.payload_format, q.target_table, q.item_key,
       ${iso('q.received_at')} AS received_at, ${iso('q.processed_at')} AS processed_at, ${iso('q.available_at')} AS available_at,
       q.attempts, q.failures, q.row_count, q.payload_bytes, q.receipt, q.landed, q.idempotency_key, q.last_error, q.redrives, q.redrive,
       q.connection_id::text AS connection_id, c.name AS connection_name, q.api_key_id::text AS api_key_id, k.kind AS key_kind, k.source_id,
       q.provenance`;

const tableIn = (list: string) =>
  `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof(${list}) WHEN 'array' THEN ${list} ELSE '[]'::jsonb END) AS e WHERE lower(e->>'table') = $7)`;

// Newest first on (tenant_id, received_at) (migration 0010). Every filter is optional ($n IS NULL). A source is
// resolved once to the credentials it names: connections by id, name or provider preset (stripe, github, …), API
// keys by id or source id. A table matches the one named outside the body; only a message whose body names its
// tables (target_table NULL: multi-table, envelope) is matched on its receipt and landed lists, which are parsed
// per row. $9 (a message id) pages back from that message.
const SEARCH_SQL = `
WITH source AS (
  SELECT array(SELECT id FROM boitata_connections WHERE tenant_id = $1 AND (id::text = $6 OR name = $6 OR verify_preset = $6)) AS connections,
         array(SELECT id FROM boitata_api_keys WHERE tenant_id = $1 AND (id::text = $6 OR source_id = $6)) AS keys)
SELECT ${SUMMARY_COLUMNS}
  FROM boitata_inbound_queue q
  CROSS JOIN source s
  LEFT JOIN boitata_connections c ON c.id = q.connection_id
  LEFT JOIN boitata_api_keys k ON k.id = q.api_key_id
 WHERE q.tenant_id = $1
   AND ($2::text[] IS NULL OR q.status = ANY($2))
   AND ($3::timestamptz IS NULL OR q.received_at >= $3)
   AND ($4::timestamptz IS NULL OR q.received_at < $4)
   AND ($5::text IS NULL OR q.idempotency_key = $5)
   AND ($6::text IS NULL OR q.connection_id = ANY(s.connections) OR q.api_key_id = ANY(s.keys))
   AND ($7::text IS NULL OR CASE WHEN q.target_table IS NOT NULL THEN lower(q.target_table) = $7
                                 ELSE ${tableIn(`q.receipt::jsonb->'tables'`)} OR ${tableIn('q.landed')} END)
   AND ($9::uuid IS NULL OR (q.received_at, q.id) < (SELECT b.received_at, b.id FROM boitata_inbound_queue b WHERE b.message_id = $9 AND b.tenant_id = $1))
 ORDER BY q.received_at DESC, q.id DESC
 LIMIT $8`;

const MESSAGE_SQL = `
SELECT q.id::text AS queue_id, ${SUMMARY_COLUMNS}
  FROM boitata_inbound_queue q
  LEFT JOIN boitata_connections c ON c.id = q.connection_id
  LEFT JOIN boitata_api_keys k ON k.id = q.api_key_id
 WHERE q.message_id = $1`;

const DEAD_LETTERS_SQL = `
SELECT id::text AS id, error_code, left(reason, 16000) AS reason, attempts, ${iso('dead_at')} AS dead_at, ${iso('replayed_at')} AS replayed_at
  FROM boitata_dead_letters WHERE queue_id = $1 ORDER BY id DESC LIMIT 100`;

// These tables' registered columns (with their PII flag) and aliases: the masking resolves each field of the payload
// against them as the processor would (mask-pii-payload.ts, pii-fields.ts). One query each, whatever the tables.
const COLUMNS_SQL = `
SELECT table_name, logical_name AS logical, physical_name AS physical, data_type AS type, pii
  FROM boitata_columns WHERE tenant_id = $1 AND table_name = ANY($2)`;

const ALIASES_SQL = `SELECT table_name, alias, column_name FROM boitata_aliases WHERE tenant_id = $1 AND table_name = ANY($2)`;

/** A tenant's messages, newest first, at most `search.limit`; null when there is no such tenant. */
export async function searchMessages(db: Sql, search: MessageSearch): Promise<MessageSearchResult | null> {
  const { rows } = await db.query<SummaryRow>(SEARCH_SQL, [
    search.tenant,
    search.statuses,
    search.since,
    search.until,
    search.idempotencyKey,
    search.source,
    search.table,
    search.limit + 1,
    search.before,
  ]);
  if (rows.length === 0 && (await db.query('SELECT 1 FROM boitata_tenants WHERE id = $1', [search.tenant])).rowCount === 0) return null;
  return { messages: rows.slice(0, search.limit).map(toSummary), more: rows.length > search.limit, limit: search.limit };
}

/** One message's metadata and its dead letters (newest first); null when it is unknown or pruned by retention. */
export async function findMessage(db: Sql, messageId: string): Promise<(MessageDetail & { queue_id: string }) | null> {
  const row = (await db.query<SummaryRow & { queue_id: string }>(MESSAGE_SQL, [messageId])).rows[0];
  if (row === undefined) return null;
  const dead = await db.query<MessageDeadLetter>(DEAD_LETTERS_SQL, [row.queue_id]);
  return {
    queue_id: row.queue_id,
    ...toSummary(row),
    dead_letters: dead.rows.map((letter) => ({ ...letter, reason: redactReason(letter.reason) })),
  };
}

/**
 * The stored payload with every personal value replaced by its hash (mask-pii-payload.ts); `text` is it as JSON,
 * indented. A body the edge stored as base64 is never shown: only its size and SHA-256 (`opaque`).
 */
export async function readMaskedPayload(db: Sql, message: MessageDetail & { queue_id: string }, hasher: PiiHasher): Promise<MaskedPayload & { text: string }> {
  const { rows } = await db.query<{ payload_text: string }>('SELECT payload::text AS payload_text FROM boitata_inbound_queue WHERE id = $1', [
    message.queue_id,
  ]);
  if (rows[0] === undefined) throw new Error(`message ${message.message_id} left the queue while it was read`);
  const payload = parsePayload(rows[0].payload_text);
  const tables = await registeredTables(db, message.tenant_id, tablesOf(message, payload));
  const masked = maskPiiPayload({ payload, payloadFormat: message.payload_format, targetTable: message.target_table }, tables, (value) =>
    hasher.hash(message.tenant_id, value),
  );
  const payloadJson = exactIntegers(masked.payload);
  return { hashed: masked.hashed, opaque: masked.opaque, payload: payloadJson, text: JSON.stringify(payloadJson, null, 2) };
}

async function registeredTables(db: Sql, tenantId: string, names: string[]): Promise<RegisteredTables> {
  const tables = new Map<string, { columns: RegisteredColumn[]; aliases: Map<string, string> }>();
  const of = (name: string) => tables.get(name) ?? tables.set(name, { columns: [], aliases: new Map() }).get(name)!;
  const columns = await db.query<{ table_name: string; logical: string; physical: string; type: string; pii: boolean }>(COLUMNS_SQL, [tenantId, names]);
  for (const { table_name, logical, physical, type, pii } of columns.rows) of(table_name).columns.push({ logical, physical, type: columnType(type), pii });
  const aliases = await db.query<{ table_name: string; alias: string; column_name: string }>(ALIASES_SQL, [tenantId, names]);
  for (const { table_name, alias, column_name } of aliases.rows) of(table_name).aliases.set(alias, column_name);
  return tables;
}

/** `searchMessages` and `findMessage` plus the masked payload: what `boitata messages show` prints. */
export async function showMessage(db: Sql, messageId: string, hasher: PiiHasher | null) {
  const message = await findMessage(db, messageId);
  if (message === null) return null;
  const { queue_id: _queueId, ...detail } = message;
  return { ...detail, payload: hasher === null ? null : await readMaskedPayload(db, message, hasher) };
}

/** The tables whose PII columns apply: accepted, landed, named outside the body, or by a multi-table body. */
function tablesOf(message: MessageSummary, payload: unknown): string[] {
  const names = [...message.accepted, ...(message.landed ?? [])].map((t) => t.table);
  if (message.target_table !== null) names.push(message.target_table);
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const body = payload as Record<string, unknown>;
    if (message.payload_format === 'multi_table') names.push(...Object.keys(body));
    if (message.payload_format === 'envelope' && typeof body['table'] === 'string') names.push(body['table']);
  }
  return [...new Set(names.map((name) => name.toLowerCase()))];
}

const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** Integers beyond 2^53 (bigints from parsePayload) as raw JSON: any JSON.stringify of the result writes their exact digits. */
function exactIntegers(value: unknown): unknown {
  if (typeof value === 'bigint') return rawJson(value.toString());
  if (Array.isArray(value)) return value.map(exactIntegers);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, exactIntegers(item)]));
  return value;
}

interface SummaryRow {
  message_id: string;
  tenant_id: string;
  status: 'pending' | 'processing' | 'done' | 'dead';
  endpoint: Endpoint;
  payload_format: PayloadFormat;
  target_table: string | null;
  item_key: string | null;
  received_at: string;
  processed_at: string | null;
  available_at: string;
  attempts: number;
  failures: number;
  row_count: number;
  payload_bytes: number | null;
  receipt: unknown;
  landed: unknown;
  idempotency_key: string | null;
  last_error: string | null;
  redrives: number;
  redrive: boolean;
  connection_id: string | null;
  connection_name: string | null;
  api_key_id: string | null;
  key_kind: 'metrics' | 'source' | null;
  source_id: string | null;
  provenance: Record<string, unknown> | null;
}

function toSummary(row: SummaryRow): MessageSummary {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    message_id: row.message_id,
    tenant_id: row.tenant_id,
    state: messageState(row.status),
    endpoint: row.endpoint,
    payload_format: row.payload_format,
    target_table: row.target_table,
    item_key: row.item_key,
    received_at: row.received_at,
    landed_at: row.status === 'done' ? row.processed_at : null,
    available_at: row.available_at,
    attempts: row.attempts,
    failures: row.failures,
    rows: row.row_count,
    payload_bytes: row.payload_bytes,
    accepted: acceptedTables(row),
    landed: tableCounts(row.landed),
    idempotency_key: row.idempotency_key,
    credential:
      row.connection_id !== null
        ? { kind: 'connection', id: row.connection_id, name: row.connection_name }
        : { kind: row.key_kind === 'metrics' ? 'metrics_key' : 'source_key', id: row.api_key_id ?? '', name: row.source_id },
    provider:
      row.provenance === null || typeof row.provenance !== 'object'
        ? null
        : { name: text(row.provenance['provider']), delivery_id: text(row.provenance['delivery_id']), event_type: text(row.provenance['event_type']) },
    last_error: row.last_error === null ? null : redactReason(row.last_error),
    redrives: row.redrives,
    redrive_pending: row.redrive,
  };
}

/**
 * The receipt's tables (push, webhook, metrics; none for a provider delivery stored dead on arrival); the events
 * API's receipt names none: its one table and row.
 */
function acceptedTables(row: SummaryRow): TableCount[] {
  const receipt = row.receipt as { tables?: unknown } | null;
  const listed = tableCounts(receipt?.tables ?? null);
  if (listed !== null) return listed;
  return row.target_table === null ? [] : [{ table: row.target_table, rows: row.row_count }];
}

/** [{"table", "rows"}] as stored (jsonb written by the processor, json by the edge); anything else: null. */
function tableCounts(value: unknown): TableCount[] | null {
  if (!Array.isArray(value)) return null;
  return value.flatMap((item: unknown) => {
    const entry = item as { table?: unknown; rows?: unknown } | null;
    return typeof entry?.table === 'string' && typeof entry.rows === 'number' ? [{ table: entry.table, rows: entry.rows }] : [];
  });
}
