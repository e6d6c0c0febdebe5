// The status snapshot: queue, throughput, tenants' tables and aliases, dead letters, read from Postgres in one
// consistent read-only transaction, plus this processor's counters. Never a payload, a secret or a PII value.
import type pg from 'pg';
import type { ProcessorMetrics } from '../metrics.ts';
import { redactReason } from './redact-reason.ts';
import { fillThroughput, type BucketCount, type Throughput } from './throughput.ts';

export interface QueueDepth {
  pending: number;
  /** claimed by a processor, lease running */
  processing: number;
  /** age of the oldest message not yet landed (pending or in flight), as the boitata_queue_oldest_message_age_seconds gauge */
  oldest_waiting_seconds: number | null;
}

export interface ColumnStatus {
  logical: string;
  physical: string;
  type: string;
  origin: string;
  pii: boolean;
  /** 'name' | 'values' | 'model' when PII */
  pii_source: string | null;
  description: string | null;
  tags: string[];
}

export interface AliasStatus {
  field: string;
  column: string;
  decided_by: string;
  /** why, in words: "edit distance 1", "synonyms (phone)", "model gpt-x, confidence 0.93" */
  why: string;
  created_at: string;
}

export interface TableStatus {
  name: string;
  warehouse_table: string;
  schema_version: number;
  created_at: string;
  last_loaded_at: string | null;
  columns: ColumnStatus[];
  aliases: AliasStatus[];
}

export interface TenantStatus {
  id: string;
  name: string;
  queue: QueueDepth;
  dead_letters_open: number;
  tables: TableStatus[];
}

export interface DeadLetterStatus {
  id: string;
  tenant_id: string;
  message_id: string;
  error_code: string;
  /** redacted: see redactReason */
  reason: string;
  attempts: number;
  dead_at: string;
}

/** This process's Prometheus counters since it started (other processors have their own). */
export interface ProcessorCounters {
  batches: { ok: number; failed: number };
  failures: Record<string, number>;
  rows: number;
  messages: { done: number; dead: number };
}

export interface StatusSnapshot {
  generated_at: string;
  queue: QueueDepth;
  throughput: Throughput;
  processor: ProcessorCounters;
  dead_letters: { open: number; limit: number; latest: DeadLetterStatus[] };
  tenants: TenantStatus[];
  replay: { enabled: boolean };
}

export const THROUGHPUT_BUCKET_SECONDS = 30;
export const THROUGHPUT_WINDOW_SECONDS = 15 * 60;
export const DEAD_LETTER_LIMIT = 100;

// Waiting messages per tenant, on the claimable index (pending/processing), like the queue gauges.
const QUEUE_SQL = `
SELECT tenant_id, count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'processing')::int AS processing,
       extract(epoch FROM now() - min(received_at))::float8 AS oldest
  FROM boitata_inbound_queue WHERE status IN ('pending', 'processing') GROUP BY tenant_id`;

// Rows of the messages every processor landed, by how many buckets ago (0 = the latest), from processed_at
// and the row_count the edge recorded; done rows are kept for hours (QUEUE_RETENTION_HOURS), far longer than the window.
const THROUGHPUT_SQL = `
SELECT floor(extract(epoch FROM now() - processed_at) / $1)::int AS age, count(*)::int AS messages, sum(row_count)::float8 AS rows
  FROM boitata_inbound_queue
 WHERE status = 'done' AND processed_at > now() - make_interval(secs => $2)
 GROUP BY 1`;

const OPEN_DEAD_LETTERS_SQL = `SELECT tenant_id, count(*)::int AS open FROM boitata_dead_letters WHERE replayed_at IS NULL GROUP BY tenant_id`;

const LATEST_DEAD_LETTERS_SQL = `
SELECT id::text, tenant_id, message_id::text, error_code, reason, attempts, dead_at
  FROM boitata_dead_letters WHERE replayed_at IS NULL ORDER BY dead_at DESC, id DESC LIMIT $1`;

const TENANTS_SQL = `SELECT id, name FROM boitata_tenants ORDER BY id`;

const TABLES_SQL = `
SELECT tenant_id, table_name, warehouse_schema, warehouse_table, schema_version, created_at, last_loaded_at
  FROM boitata_tables ORDER BY tenant_id, table_name`;

const COLUMNS_SQL = `
SELECT tenant_id, table_name, logical_name, physical_name, data_type, origin, pii, pii_source, description, tags
  FROM boitata_columns ORDER BY tenant_id, table_name, added_in_version, logical_name`;

const ALIASES_SQL = `
SELECT tenant_id, table_name, alias, column_name, decided_by, evidence, created_at
  FROM boitata_aliases ORDER BY tenant_id, table_name, alias`;

export async function loadStatusSnapshot(pool: pg.Pool, metrics: ProcessorMetrics, options: { replayEnabled: boolean }): Promise<StatusSnapshot> {
  const processor = await readCounters(metrics);
  const client = await pool.connect();
  try {
    // One snapshot of the database: the per-tenant figures add up to the totals.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const now = (await client.query<{ now: Date }>('SELECT now()')).rows[0]!.now;
    const queue = (await client.query<{ tenant_id: string; pending: number; processing: number; oldest: number }>(QUEUE_SQL)).rows;
    const buckets = (await client.query<BucketCount>(THROUGHPUT_SQL, [THROUGHPUT_BUCKET_SECONDS, THROUGHPUT_WINDOW_SECONDS])).rows;
    const open = (await client.query<{ tenant_id: string; open: number }>(OPEN_DEAD_LETTERS_SQL)).rows;
    const latest = (await client.query<DeadLetterRow>(LATEST_DEAD_LETTERS_SQL, [DEAD_LETTER_LIMIT])).rows;
    const tenants = (await client.query<{ id: string; name: string }>(TENANTS_SQL)).rows;
    const tables = (await client.query<TableRow>(TABLES_SQL)).rows;
    const columns = (await client.query<ColumnRow>(COLUMNS_SQL)).rows;
    const aliases = (await client.query<AliasRow>(ALIASES_SQL)).rows;
    await client.query('COMMIT');

    const queueOf = new Map(queue.map((row) => [row.tenant_id, { pending: row.pending, processing: row.processing, oldest_waiting_seconds: row.oldest }]));
    const openOf = new Map(open.map((row) => [row.tenant_id, row.open]));
    const key = (tenant: string, table: string) => `${tenant}\u0000${table}`;
    const columnsOf = groupBy(columns, (row) => key(row.tenant_id, row.table_name));
    const aliasesOf = groupBy(aliases, (row) => key(row.tenant_id, row.table_name));
    const tablesOf = groupBy(tables, (row) => row.tenant_id);
    return {
      generated_at: now.toISOString(),
      queue: {
        pending: total(queue.map((row) => row.pending)),
        processing: total(queue.map((row) => row.processing)),
        oldest_waiting_seconds: queue.length === 0 ? null : Math.max(...queue.map((row) => row.oldest)),
      },
      throughput: fillThroughput(buckets, now, THROUGHPUT_BUCKET_SECONDS, THROUGHPUT_WINDOW_SECONDS),
      processor,
      dead_letters: {
        open: total(open.map((row) => row.open)),
        limit: DEAD_LETTER_LIMIT,
        latest: latest.map((row) => ({
          id: row.id, tenant_id: row.tenant_id, message_id: row.message_id, error_code: row.error_code,
          reason: redactReason(row.reason), attempts: row.attempts, dead_at: row.dead_at.toISOString(),
        })),
      },
      tenants: tenants.map((tenant) => ({
        id: tenant.id,
        name: tenant.name,
        queue: queueOf.get(tenant.id) ?? { pending: 0, processing: 0, oldest_waiting_seconds: null },
        dead_letters_open: openOf.get(tenant.id) ?? 0,
        tables: (tablesOf.get(tenant.id) ?? []).map((table) => ({
          name: table.table_name,
          warehouse_table: `${table.warehouse_schema}.${table.warehouse_table}`,
          schema_version: table.schema_version,
          created_at: table.created_at.toISOString(),
          last_loaded_at: table.last_loaded_at?.toISOString() ?? null,
          columns: (columnsOf.get(key(tenant.id, table.table_name)) ?? []).map((column) => ({
            logical: column.logical_name, physical: column.physical_name, type: column.data_type, origin: column.origin,
            pii: column.pii, pii_source: column.pii_source, description: column.description, tags: column.tags,
          })),
          aliases: (aliasesOf.get(key(tenant.id, table.table_name)) ?? []).map((alias) => ({
            field: alias.alias, column: alias.column_name, decided_by: alias.decided_by,
            why: explainAlias(alias.decided_by, alias.evidence), created_at: alias.created_at.toISOString(),
          })),
        })),
      })),
      replay: { enabled: options.replayEnabled },
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Why an alias was made, from the evidence the resolver recorded: only the known fields, by type, are used
 * (the evidence is free-form JSON; nothing else of it is shown).
 */
export function explainAlias(decidedBy: string, evidence: unknown): string {
  const field = (name: string): unknown => (typeof evidence === 'object' && evidence !== null ? (evidence as Record<string, unknown>)[name] : undefined);
  const distance = field('distance');
  const group = field('group');
  const model = field('model');
  const confidence = field('confidence');
  switch (decidedBy) {
    case 'typo':
      return typeof distance === 'number' ? `typo: edit distance ${distance}` : 'typo';
    case 'dictionary':
      return typeof group === 'string' ? `synonyms: ${group}` : 'synonyms';
    case 'model': {
      const parts = [typeof model === 'string' ? `model ${model}` : 'model'];
      if (typeof confidence === 'number') parts.push(`confidence ${confidence.toFixed(2)}`);
      return parts.join(', ');
    }
    default:
      return decidedBy;
  }
}

async function readCounters(metrics: ProcessorMetrics): Promise<ProcessorCounters> {
  const byLabel = async (metric: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string | number | undefined> }> }> }, label: string) => {
    const out: Record<string, number> = {};
    for (const { value, labels } of (await metric.get()).values) out[String(labels[label])] = value;
    return out;
  };
  const batches = await byLabel(metrics.batches, 'outcome');
  const messages = await byLabel(metrics.messages, 'outcome');
  const rows = (await metrics.rows.get()).values[0]?.value ?? 0;
  return {
    batches: { ok: batches['ok'] ?? 0, failed: batches['failed'] ?? 0 },
    failures: await byLabel(metrics.failures, 'kind'),
    rows,
    messages: { done: messages['done'] ?? 0, dead: messages['dead'] ?? 0 },
  };
}

interface DeadLetterRow { id: string; tenant_id: string; message_id: string; error_code: string; reason: string; attempts: number; dead_at: Date }
interface TableRow { tenant_id: string; table_name: string; warehouse_schema: string; warehouse_table: string; schema_version: number; created_at: Date; last_loaded_at: Date | null }
interface ColumnRow {
  tenant_id: string; table_name: string; logical_name: string; physical_name: string; data_type: string; origin: string;
  pii: boolean; pii_source: string | null; description: string | null; tags: string[];
}
interface AliasRow { tenant_id: string; table_name: string; alias: string; column_name: string; decided_by: string; evidence: unknown; created_at: Date }

function groupBy<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [row]);
    else list.push(row);
  }
  return groups;
}

const total = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0);
