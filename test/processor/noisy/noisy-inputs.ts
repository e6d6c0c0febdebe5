// The noisy tenant's inputs: the largest bodies the edge admits, and the oversized messages an older edge could have queued.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { MAX_BODY_BYTES } from '../../../shared/json-safety.ts';
import { MAX_FIELDS_PER_ROW, MAX_ROWS_PER_MESSAGE, MAX_TABLES_PER_MESSAGE } from '../../../shared/ingest-limits.ts';

/** A body for `POST /v1/ingest/push/{token}`: at the documented caps and within a few bytes of the 1 MiB limit. */
export interface EdgeBody {
  kind: string;
  /** `?table=` (null: the body names its tables) */
  table: string | null;
  body: string;
  rows: number;
}

// Slack under the 1 MiB limit: the bodies are meant to be admitted, not to probe the boundary by one byte.
const BODY_BUDGET = MAX_BODY_BYTES - 1024;

/** Rows `{"i":n,"pad":"xxx…"}` padded so that `count` of them (joined, in brackets) fill the budget. */
function paddedRows(count: number, budget: number, start = 0): string {
  const bare = `{"i":${start + count},"pad":""}`.length + 1; // the widest row, with its comma
  const pad = 'x'.repeat(Math.max(0, Math.floor((budget - 2) / count) - bare));
  return `[${Array.from({ length: count }, (_, r) => `{"i":${start + r},"pad":"${pad}"}`).join(',')}]`;
}

/** As many rows as fit in the budget (and the row cap), as a JSON array. */
function fillArray(row: (r: number) => string): { body: string; rows: number } {
  const parts: string[] = [];
  let bytes = 2;
  for (let r = 0; r < MAX_ROWS_PER_MESSAGE; r++) {
    const next = row(r);
    if (bytes + next.length + 1 > BODY_BUDGET) break;
    parts.push(next);
    bytes += next.length + 1;
  }
  return { body: `[${parts.join(',')}]`, rows: parts.length };
}

/** The four shapes tenant A sends through the real edge, each at a documented cap, each ~1 MiB. */
export function edgeBodies(): EdgeBody[] {
  const perTable = MAX_ROWS_PER_MESSAGE / MAX_TABLES_PER_MESSAGE;
  const tables = Array.from(
    { length: MAX_TABLES_PER_MESSAGE },
    (_, t) => `"a_multi_${String(t).padStart(2, '0')}":${paddedRows(perTable, (BODY_BUDGET - 400) / MAX_TABLES_PER_MESSAGE, t * perTable)}`,
  );
  const wideRow = (r: number) =>
    `{${Array.from({ length: MAX_FIELDS_PER_ROW }, (_, f) => `"f${String(f).padStart(4, '0')}":${r * MAX_FIELDS_PER_ROW + f}`).join(',')}}`;
  // Numbers with the largest exponent admitted: 6 bytes each in the request, ~52 characters once jsonb writes them out.
  const tinyFields = 10;
  const tinyRow = `{${Array.from({ length: tinyFields }, (_, f) => `"n${f}":1e-50`).join(',')}}`;
  const bodies: EdgeBody[] = [
    { kind: `${MAX_ROWS_PER_MESSAGE} rows`, table: 'a_rows', body: paddedRows(MAX_ROWS_PER_MESSAGE, BODY_BUDGET), rows: MAX_ROWS_PER_MESSAGE },
    { kind: `${MAX_TABLES_PER_MESSAGE} tables`, table: null, body: `{${tables.join(',')}}`, rows: MAX_ROWS_PER_MESSAGE },
    { kind: `${MAX_FIELDS_PER_ROW} fields per row`, table: 'a_wide', ...fillArray(wideRow) },
    { kind: 'numbers at the exponent cap', table: 'a_tiny_numbers', ...fillArray(() => tinyRow) },
  ];
  for (const { kind, body } of bodies) {
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new Error(`the "${kind}" body is ${Buffer.byteLength(body)} bytes, over ${MAX_BODY_BYTES}`);
  }
  return bodies;
}

/** A message as an edge older than the documented caps could have stored it (no payload_bytes). */
export interface OlderEdgeMessage {
  kind: string;
  format: 'array' | 'multi_table' | 'object';
  table: string | null;
  payload: string;
  rows: number;
  tables: Array<{ table: string; rows: number }>;
}

/** The issue's three oversized inputs: 1 MiB of `{}` rows (× `copies`), a 2,000-table push, a 50,000-key row. */
export function olderEdgeMessages(copies = 24): OlderEdgeMessage[] {
  const emptyRows = Math.floor((MAX_BODY_BYTES - 2) / 3); // 349,524: `[{},{},…]` in 1 MiB
  const manyTables = Array.from({ length: 2000 }, (_, t) => `a_t${String(t).padStart(4, '0')}`);
  const keys = 50_000;
  // The small-but-slow ones first: with the empty-row messages ahead of them they would wait behind 8 M rows.
  const messages: OlderEdgeMessage[] = [
    {
      kind: '2,000 tables',
      format: 'multi_table',
      table: null,
      payload: `{${manyTables.map((t, i) => `"${t}":[{"v":${i}}]`).join(',')}}`,
      rows: manyTables.length,
      tables: manyTables.map((table) => ({ table, rows: 1 })),
    },
    {
      kind: '50,000 keys in one row',
      format: 'object',
      table: 'a_50k_keys',
      payload: `{${Array.from({ length: keys }, (_, k) => `"k${String(k).padStart(5, '0')}":${k}`).join(',')}}`,
      rows: 1,
      tables: [{ table: 'a_50k_keys', rows: 1 }],
    },
  ];
  for (let i = 0; i < copies; i++) {
    messages.push({
      kind: `${emptyRows} empty rows`,
      format: 'array',
      table: 'a_empty_rows',
      payload: `[${Array(emptyRows).fill('{}').join(',')}]`,
      rows: emptyRows,
      tables: [{ table: 'a_empty_rows', rows: emptyRows }],
    });
  }
  return messages;
}

/** Inserts the messages straight into the queue, as the edge's enqueue statement would have (payload_bytes left NULL). */
export async function enqueueAsOlderEdge(
  pool: pg.Pool,
  tenant: string,
  connectionId: string,
  messages: readonly OlderEdgeMessage[],
): Promise<Array<{ messageId: string; kind: string }>> {
  const inserted: Array<{ messageId: string; kind: string }> = [];
  for (const message of messages) {
    const messageId = randomUUID();
    const receipt = { message_id: messageId, status: 'queued', tables: message.tables, rows: message.rows };
    await pool.query(
      `INSERT INTO boitata_inbound_queue
         (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
       VALUES ($1, $2, $3, 'push', $4, $5, $6::jsonb, $7, $8::json, $3)`,
      [messageId, tenant, connectionId, message.format, message.table, message.payload, message.rows, JSON.stringify(receipt)],
    );
    inserted.push({ messageId, kind: message.kind });
  }
  return inserted;
}
