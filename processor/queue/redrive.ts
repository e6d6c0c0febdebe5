// Re-driving stored messages (`boitata messages redrive`): which of a tenant's messages a time range selects, what
// re-driving them would do (the dry run), and the re-drive itself in bounded chunks. The processor does the landing:
// a message marked `redrive` writes its rows with replaceRows, each replacing its earlier version (message id, row id).
// A message the edge stored dead on arrival (a verified delivery that broke a content rule) is left out unless asked
// for: it never landed, and its body is as the provider sent it. A body the edge kept as base64 is never re-driven.
import type pg from 'pg';

/** What to re-drive: a tenant's landed and dead messages received in [since, until), optionally only those naming a table. */
export interface RedriveSelection {
  tenantId: string;
  /** received at or after this instant (timestamptz text: ISO 8601) */
  since: string;
  /** received before this instant */
  until: string;
  /** only messages whose rows went (or were to go) to this table, lower case; null: every table */
  table: string | null;
  /** re-drive the messages the edge stored dead on arrival too (`--include-dead-on-arrival`); default false */
  includeDeadOnArrival?: boolean;
}

/** What a re-drive of the selection would do: the dry run. `landed` and `dead` count messages by their state now. */
export interface RedrivePlan {
  messages: number;
  rows: number;
  byStatus: { landed: number; dead: number };
  /** each table the selected messages wrote (or were to write), by name; a message counts once per table */
  byTable: Array<{ table: string; messages: number; rows: number }>;
  /** messages of the range still queued or in flight: not re-driven (they land anyway) */
  inFlight: number;
  /**
   * messages of the range the edge stored dead on arrival (receipt `dead_lettered`), `opaque` included: re-driven
   * (and counted above) only with `includeDeadOnArrival`, and then not the opaque ones
   */
  deadOnArrival: number;
  /** of those, bodies the edge kept as `{"unreadable_body_base64": …}` (not JSON Postgres could store): never re-driven */
  opaque: number;
  /** when the tenant's oldest stored message was received (older ones were pruned by QUEUE_RETENTION_HOURS); null: none */
  oldestStored: string | null;
}

export interface RedriveResult {
  messages: number;
  rows: number;
  byStatus: { landed: number; dead: number };
  /** open dead letters of the re-driven messages, now marked replayed */
  deadLetters: number;
}

/** Messages per UPDATE: each chunk is one short transaction, so the queue's claims never wait long behind a re-drive. */
export const REDRIVE_CHUNK = 500;

/** ISO 8601 in UTC with microseconds: the keyset carries received_at without the millisecond rounding of a JS Date. */
const ISO_MICROS = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * The tables a message names, as [{table, rows}]: what it landed when the processor recorded it, else what the edge
 * accepted it for (its receipt), else its target table; an event's receipt names no table, its target does.
 * Nested CASEs: Postgres does not promise to evaluate `typeof = 'array' AND length(…)` left to right.
 */
const MESSAGE_TABLES = `coalesce(
  CASE WHEN jsonb_typeof(q.landed) = 'array' THEN CASE WHEN jsonb_array_length(q.landed) > 0 THEN q.landed END END,
  CASE WHEN json_typeof(q.receipt -> 'tables') = 'array' THEN CASE WHEN json_array_length(q.receipt -> 'tables') > 0 THEN (q.receipt -> 'tables')::jsonb END END,
  CASE WHEN q.target_table IS NOT NULL THEN jsonb_build_array(jsonb_build_object('table', q.target_table, 'rows', q.row_count)) END,
  '[]'::jsonb)`;

/**
 * Why a message would or would not be re-driven: its status, or for a dead one whether the edge stored it dead on
 * arrival (its receipt says `dead_lettered`), and whether its body is the edge's base64 of text Postgres could not
 * store (edge/ingest/prepare-delivery.ts storedAsBase64) — which could only ever land as that one base64 column.
 * Nested CASEs: the `-` operator fails on a scalar, and Postgres does not promise to evaluate an AND left to right.
 */
const KIND = `CASE
  WHEN q.status <> 'dead' THEN q.status
  WHEN coalesce(CASE WHEN jsonb_typeof(q.payload) = 'object' THEN
         jsonb_typeof(q.payload -> 'unreadable_body_base64') = 'string' AND q.payload - 'unreadable_body_base64' = '{}'::jsonb END, false) THEN 'opaque'
  WHEN coalesce(q.receipt ->> 'status', '') = 'dead_lettered' THEN 'dead_on_arrival'
  ELSE 'dead' END`;

/** Whether a message of this KIND is re-driven; `include` is the parameter for includeDeadOnArrival. */
const redrivable = (kind: string, include: string) => `(${kind} IN ('done', 'dead') OR (${kind} = 'dead_on_arrival' AND ${include}::boolean))`;

/** $1 tenant, $2 since, $3 until, $4 table or NULL. By the (tenant_id, received_at) index. */
const IN_RANGE = `
  FROM boitata_inbound_queue q
 WHERE q.tenant_id = $1 AND q.received_at >= $2::timestamptz AND q.received_at < $3::timestamptz
   AND ($4::text IS NULL OR lower(q.target_table) = $4
        OR EXISTS (SELECT 1 FROM jsonb_array_elements(${MESSAGE_TABLES}) e WHERE lower(e ->> 'table') = $4))`;

const PLAN_SQL = `
WITH selected AS (
  SELECT q.id, ${KIND} AS kind, q.row_count, ${MESSAGE_TABLES} AS tables ${IN_RANGE}
)
SELECT 'status' AS kind, kind AS name, count(*)::int AS messages, coalesce(sum(row_count), 0)::bigint AS rows
  FROM selected GROUP BY selected.kind
UNION ALL
SELECT 'table', lower(e ->> 'table'), count(DISTINCT s.id)::int, coalesce(sum((e ->> 'rows')::bigint), 0)::bigint
  FROM selected s CROSS JOIN LATERAL jsonb_array_elements(s.tables) e
 WHERE ${redrivable('s.kind', '$5')}
 GROUP BY 2
UNION ALL
SELECT 'oldest', to_char(min(received_at) AT TIME ZONE 'UTC', ${ISO_MICROS}), 0, 0 FROM boitata_inbound_queue WHERE tenant_id = $1`;

/**
 * One chunk of the re-drive: the next $5 landed or dead messages after the keyset ($6 received_at, $7 id; NULL: from
 * the start) — those dead on arrival only when $8, an opaque body never — go back to the queue as pending, marked
 * `redrive`, with a fresh attempt count as replayDeadLetters gives (the claim makes it 2); their open dead letters
 * are closed as replayed. The keyset (not the status) moves the re-drive on: a message the processor lands again
 * before the next chunk is not picked a second time.
 */
const REDRIVE_CHUNK_SQL = `
WITH picked AS (
  SELECT q.id, q.status, q.received_at ${IN_RANGE}
     AND ${redrivable(KIND, '$8')}
     AND ($6::timestamptz IS NULL OR (q.received_at, q.id) > ($6::timestamptz, $7::bigint))
   ORDER BY q.received_at, q.id
   LIMIT $5
   FOR UPDATE OF q
), redriven AS (
  UPDATE boitata_inbound_queue q
     SET status = 'pending', redrive = true, redrives = q.redrives + 1, attempts = 1, failures = 0,
         available_at = clock_timestamp(), processed_at = NULL, last_error = NULL, lease_owner = NULL, lease_expires_at = NULL
    FROM picked
   WHERE q.id = picked.id AND q.status IN ('done', 'dead')
  RETURNING q.id, picked.status AS was, q.row_count
), replayed AS (
  UPDATE boitata_dead_letters d SET replayed_at = clock_timestamp()
    FROM redriven r
   WHERE d.queue_id = r.id AND d.replayed_at IS NULL
  RETURNING d.id
), last AS (
  SELECT to_char(received_at AT TIME ZONE 'UTC', ${ISO_MICROS}) AS received_at, id::text FROM picked ORDER BY received_at DESC, id DESC LIMIT 1
)
SELECT (SELECT count(*) FROM picked)::int AS picked,
       (SELECT count(*) FROM redriven WHERE was = 'done')::int AS landed,
       (SELECT count(*) FROM redriven WHERE was = 'dead')::int AS dead,
       (SELECT coalesce(sum(row_count), 0) FROM redriven)::bigint AS rows,
       (SELECT count(*) FROM replayed)::int AS dead_letters,
       (SELECT received_at FROM last) AS last_received_at,
       (SELECT id FROM last) AS last_id`;

type Sql = Pick<pg.ClientBase, 'query'>;

interface ChunkRow {
  picked: number;
  landed: number;
  dead: number;
  rows: string;
  dead_letters: number;
  last_received_at: string | null;
  last_id: string | null;
}

const parameters = (s: RedriveSelection) => [s.tenantId, s.since, s.until, s.table];
const include = (s: RedriveSelection) => s.includeDeadOnArrival === true;

/** The dry run: counts only, nothing changes. */
export async function planRedrive(db: Sql, selection: RedriveSelection): Promise<RedrivePlan> {
  const { rows } = await db.query<{ kind: string; name: string | null; messages: number; rows: string }>(PLAN_SQL, [
    ...parameters(selection),
    include(selection),
  ]);
  const plan: RedrivePlan = {
    messages: 0,
    rows: 0,
    byStatus: { landed: 0, dead: 0 },
    byTable: [],
    inFlight: 0,
    deadOnArrival: 0,
    opaque: 0,
    oldestStored: null,
  };
  for (const row of rows) {
    if (row.kind === 'oldest') plan.oldestStored = row.name;
    else if (row.kind === 'table') plan.byTable.push({ table: row.name ?? '?', messages: row.messages, rows: Number(row.rows) });
    else if (row.name === 'opaque') {
      plan.opaque += row.messages;
      plan.deadOnArrival += row.messages;
    } else if (row.name === 'dead_on_arrival') {
      plan.deadOnArrival += row.messages;
      if (include(selection)) {
        plan.byStatus.dead += row.messages;
        plan.messages += row.messages;
        plan.rows += Number(row.rows);
      }
    } else if (row.name === 'done' || row.name === 'dead') {
      plan.byStatus[row.name === 'done' ? 'landed' : 'dead'] += row.messages;
      plan.messages += row.messages;
      plan.rows += Number(row.rows);
    } else plan.inFlight += row.messages;
  }
  plan.byTable.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
  return plan;
}

/**
 * Re-drives the selection chunk by chunk (each its own transaction), telling `onProgress` the running totals after
 * each, and wakes the processors (the channel the queue's insert trigger notifies) so they claim at once. Stopped
 * half-way, the chunks done stay re-driven; running it again re-drives the whole range again, which is harmless.
 */
export async function redriveMessages(
  db: Sql,
  selection: RedriveSelection,
  options: { chunkSize?: number; onProgress?: (done: RedriveResult) => void } = {},
): Promise<RedriveResult> {
  const total: RedriveResult = { messages: 0, rows: 0, byStatus: { landed: 0, dead: 0 }, deadLetters: 0 };
  // The keyset: the last message picked (received_at, id); null before the first chunk.
  let after: [receivedAt: string, id: string] | [null, null] = [null, null];
  for (;;) {
    const chunk = await redriveChunk(db, selection, options.chunkSize ?? REDRIVE_CHUNK, after);
    if (chunk === undefined || chunk.picked === 0 || chunk.last_received_at === null || chunk.last_id === null) break;
    after = [chunk.last_received_at, chunk.last_id];
    total.messages += chunk.landed + chunk.dead;
    total.byStatus.landed += chunk.landed;
    total.byStatus.dead += chunk.dead;
    total.rows += Number(chunk.rows);
    total.deadLetters += chunk.dead_letters;
    if (chunk.landed + chunk.dead > 0) await db.query(`SELECT pg_notify('boitata_inbound', '')`);
    options.onProgress?.({ ...total, byStatus: { ...total.byStatus } });
  }
  return total;
}

async function redriveChunk(db: Sql, selection: RedriveSelection, size: number, after: [string, string] | [null, null]): Promise<ChunkRow | undefined> {
  const { rows } = await db.query<ChunkRow>(REDRIVE_CHUNK_SQL, [...parameters(selection), size, ...after, include(selection)]);
  return rows[0];
}
