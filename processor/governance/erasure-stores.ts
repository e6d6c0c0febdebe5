// The erasure outside the warehouse, in Postgres: a tenant's queued payloads (every status) and last errors, its dead
// letters' reasons, and the catalog's alias evidence, schema history and cached model answers. Rows are found in SQL
// by the value's text (strpos), then confirmed by hashing field by field (erasure-scrub.ts); a dry run only counts.
import type pg from 'pg';
import { parsePayload, stringifyJson } from '../normalize/parse-payload.ts';
import { jsonEscaped, scrubPayload, scrubQuotedLiterals, type SubjectMatcher } from './erasure-scrub.ts';

type Db = Pick<pg.ClientBase, 'query'>;

export interface StoreCounts {
  /** queued messages whose payload held a value, by their status at the erasure */
  queue_messages: Record<'pending' | 'processing' | 'done' | 'dead', number>;
  /** values replaced in those payloads */
  queue_values: number;
  /** queue rows whose last error quoted a value */
  queue_errors: number;
  dead_letters: number;
  alias_evidence: number;
  schema_history: number;
  model_answers: number;
}

export const emptyStoreCounts = (): StoreCounts => ({
  queue_messages: { pending: 0, processing: 0, done: 0, dead: 0 },
  queue_values: 0,
  queue_errors: 0,
  dead_letters: 0,
  alias_evidence: 0,
  schema_history: 0,
  model_answers: 0,
});

export function addStoreCounts(a: StoreCounts, b: StoreCounts): StoreCounts {
  const statuses = ['pending', 'processing', 'done', 'dead'] as const;
  return {
    queue_messages: Object.fromEntries(statuses.map((s) => [s, a.queue_messages[s] + b.queue_messages[s]])) as StoreCounts['queue_messages'],
    queue_values: a.queue_values + b.queue_values,
    queue_errors: a.queue_errors + b.queue_errors,
    dead_letters: a.dead_letters + b.dead_letters,
    alias_evidence: a.alias_evidence + b.alias_evidence,
    schema_history: a.schema_history + b.schema_history,
    model_answers: a.model_answers + b.model_answers,
  };
}

const PAGE = 200;

/** Scrubs (or, with `dryRun`, counts) every store of the tenant; `onProgress` gets the queue rows examined so far. */
export async function scrubStores(
  db: Db,
  tenantId: string,
  matcher: SubjectMatcher,
  options: { dryRun: boolean; onProgress?: (examined: number) => void },
): Promise<StoreCounts> {
  const counts = emptyStoreCounts();
  // The value's forms as stored: raw (error text) and JSON-escaped (jsonb's text output, JSON in error text).
  const forms = [...new Set(matcher.values.flatMap((v) => [v, jsonEscaped(v)]))];
  await scrubQueue(db, tenantId, matcher, forms, options, counts);
  counts.dead_letters = await scrubTextColumn(db, matcher, forms, options.dryRun, {
    select: `SELECT id::text AS key, reason AS text FROM boitata_dead_letters WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM unnest($2::text[]) v WHERE strpos(reason, v) > 0)`,
    update: `UPDATE boitata_dead_letters SET reason = $2 WHERE id = $1::bigint AND tenant_id = $3`,
    tenantId,
  });
  counts.alias_evidence = await scrubJsonColumn(db, matcher, forms, options.dryRun, tenantId, 'boitata_aliases', 'evidence', ['table_name', 'alias']);
  counts.schema_history = await scrubJsonColumn(db, matcher, forms, options.dryRun, tenantId, 'boitata_schema_versions', 'changes', ['table_name', 'version']);
  counts.model_answers = await scrubJsonColumn(db, matcher, forms, options.dryRun, tenantId, 'boitata_model_answers', 'answer', ['table_name', 'question_key']);
  return counts;
}

async function scrubQueue(
  db: Db,
  tenantId: string,
  matcher: SubjectMatcher,
  forms: readonly string[],
  options: { dryRun: boolean; onProgress?: (examined: number) => void },
  counts: StoreCounts,
): Promise<void> {
  let after = '0';
  let examined = 0;
  for (;;) {
    // An opaque body (base64) cannot be found by strpos: every one of the tenant's is decoded and searched.
    const { rows } = await db.query<{ id: string; status: keyof StoreCounts['queue_messages']; payload_text: string; last_error: string | null }>(
      `SELECT id::text, status, payload::text AS payload_text, last_error FROM boitata_inbound_queue
        WHERE tenant_id = $1 AND id > $3::bigint
          AND (EXISTS (SELECT 1 FROM unnest($2::text[]) v WHERE strpos(payload::text, v) > 0 OR strpos(last_error, v) > 0)
               OR payload ? 'unreadable_body_base64')
        ORDER BY id LIMIT ${PAGE}`,
      [tenantId, forms, after],
    );
    if (rows.length === 0) return;
    for (const row of rows) {
      const payload = scrubPayload(parsePayload(row.payload_text), matcher);
      const error = row.last_error === null ? null : scrubQuotedLiterals(row.last_error, matcher);
      if (payload.replaced > 0) {
        counts.queue_messages[row.status] += 1;
        counts.queue_values += payload.replaced;
      }
      if (error !== null && error.replaced > 0) counts.queue_errors += 1;
      if (options.dryRun || (payload.replaced === 0 && (error === null || error.replaced === 0))) continue;
      await db.query(`UPDATE boitata_inbound_queue SET payload = $2::jsonb, last_error = $3, erased = erased OR $5 WHERE id = $1::bigint AND tenant_id = $4`, [
        row.id,
        payload.replaced > 0 ? stringifyJson(payload.value) : row.payload_text,
        error?.value ?? null,
        tenantId,
        payload.replaced > 0,
      ]);
    }
    examined += rows.length;
    options.onProgress?.(examined);
    after = rows[rows.length - 1]!.id;
  }
}

async function scrubTextColumn(
  db: Db,
  matcher: SubjectMatcher,
  forms: readonly string[],
  dryRun: boolean,
  sql: { select: string; update: string; tenantId: string },
): Promise<number> {
  const { rows } = await db.query<{ key: string; text: string }>(sql.select, [sql.tenantId, forms]);
  let changed = 0;
  for (const row of rows) {
    const scrubbed = scrubQuotedLiterals(row.text, matcher);
    if (scrubbed.replaced === 0) continue;
    changed += 1;
    if (!dryRun) await db.query(sql.update, [row.key, scrubbed.value, sql.tenantId]);
  }
  return changed;
}

/** A jsonb column of a catalog table (names fixed here, never from input), keyed by tenant_id and `keys`. */
async function scrubJsonColumn(
  db: Db,
  matcher: SubjectMatcher,
  forms: readonly string[],
  dryRun: boolean,
  tenantId: string,
  table: string,
  column: string,
  keys: readonly [string, string],
): Promise<number> {
  const [k1, k2] = keys;
  const { rows } = await db.query<{ k1: string; k2: string; text: string }>(
    `SELECT "${k1}"::text AS k1, "${k2}"::text AS k2, "${column}"::text AS text FROM "${table}"
      WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM unnest($2::text[]) v WHERE strpos("${column}"::text, v) > 0)`,
    [tenantId, forms],
  );
  let changed = 0;
  for (const row of rows) {
    const scrubbed = scrubPayload(parsePayload(row.text), matcher);
    if (scrubbed.replaced === 0) continue;
    changed += 1;
    if (!dryRun) {
      await db.query(`UPDATE "${table}" SET "${column}" = $4::jsonb WHERE tenant_id = $1 AND "${k1}"::text = $2 AND "${k2}"::text = $3`, [
        tenantId,
        row.k1,
        row.k2,
        stringifyJson(scrubbed.value),
      ]);
    }
  }
  return changed;
}
