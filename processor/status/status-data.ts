// The status snapshot of one view (overview, a tenant, a table): queue, throughput, the catalog slice the view
// shows and the open dead letters, read from Postgres in one consistent read-only transaction under a deadline,
// plus this processor's counters. Never a payload, a secret or a PII value; bounded whatever the catalog holds.
import type pg from 'pg';
import { BoitataError } from '../../shared/errors.ts';
import type { ProcessorMetrics } from '../metrics.ts';
import { readOnlySnapshot, STATUS_DATABASE_DEADLINE_MS, withDatabaseDeadline } from './database-deadline.ts';
import { redactReason } from '../../shared/redact-reason.ts';
import { readColumnWarnings, readTables, readTenant, readTenantsPage, type ColumnWarning, type TableStatus, type TenantRow } from './status-catalog.ts';
import { pageCount, STATUS_LIMITS as L, type StatusView } from './status-view.ts';
import { fillThroughput, type BucketCount, type Throughput } from './throughput.ts';
import { readTenantHealth, TENANT_HEALTH_PAGE_ROWS, TENANT_HEALTH_WINDOW_SECONDS, type TenantHealthReport } from './tenant-health.ts';

export type { AliasStatus, ColumnStatus, ColumnWarning, TableStatus } from './status-catalog.ts';

export interface QueueDepth {
  pending: number;
  /** claimed by a processor, lease running */
  processing: number;
  /** age of the oldest message not yet landed (pending or in flight), as the boitata_queue_oldest_message_age_seconds gauge */
  oldest_waiting_seconds: number | null;
}

/** One summary line per tenant; its tables are on /status?tenant=<id>. */
export interface TenantStatus {
  id: string;
  name: string;
  queue: QueueDepth;
  dead_letters_open: number;
  table_count: number;
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

export interface Paged<T> {
  total: number;
  page: number;
  pages: number;
  per_page: number;
  items: T[];
}

export interface StatusSnapshot {
  generated_at: string;
  view: { kind: StatusView['kind']; tenant: string | null; table: string | null; page: number };
  limits: typeof L;
  queue: QueueDepth;
  throughput: Throughput;
  processor: ProcessorCounters;
  /** open dead letters (of the view's tenant), newest first; `older`: the dead_letters_before of the next page */
  dead_letters: { open: number; limit: number; latest: DeadLetterStatus[]; older: string | null };
  /** tables at or past STATUS_LIMITS.columnWarningAt data columns (of the view's tenant), largest first */
  column_warnings: { total: number; tables: ColumnWarning[] };
  /** overview: a page of tenants; a tenant's or a table's view: that tenant */
  tenants: Paged<TenantStatus>;
  /** a tenant's view: a page of its tables with their first columns and aliases; a table's view: the table with a page of its columns and aliases */
  tables: Paged<TableStatus> | null;
  replay: { enabled: boolean };
  /** the worst tenants (PROCESSOR_METRICS_TENANT_LIMIT, at most TENANT_HEALTH_PAGE_ROWS; the rest as `_other`), as on /metrics; a tenant's view: that tenant */
  tenant_health: TenantHealthReport;
}

export const THROUGHPUT_BUCKET_SECONDS = 30;
export const THROUGHPUT_WINDOW_SECONDS = 15 * 60;
export const DEAD_LETTER_LIMIT = L.deadLetters;

// Waiting messages, on the claimable index (pending/processing), like the queue gauges: all tenants, or the listed ones.
const QUEUE_TOTAL_SQL = `
SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'processing')::int AS processing,
       extract(epoch FROM now() - min(received_at))::float8 AS oldest
  FROM boitata_inbound_queue WHERE status IN ('pending', 'processing')`;

const QUEUE_BY_TENANT_SQL = `
SELECT tenant_id, count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'processing')::int AS processing,
       extract(epoch FROM now() - min(received_at))::float8 AS oldest
  FROM boitata_inbound_queue WHERE status IN ('pending', 'processing') AND tenant_id = ANY($1) GROUP BY tenant_id`;

// Rows of the messages every processor landed, by how many buckets ago (0 = the latest), from processed_at
// and the row_count the edge recorded; done rows are kept for hours (QUEUE_RETENTION_HOURS), far longer than the window.
const THROUGHPUT_SQL = `
SELECT floor(extract(epoch FROM now() - processed_at) / $1)::int AS age, count(*)::int AS messages, sum(row_count)::float8 AS rows
  FROM boitata_inbound_queue
 WHERE status = 'done' AND processed_at > now() - make_interval(secs => $2)
 GROUP BY 1`;

const OPEN_DEAD_LETTERS_SQL = `SELECT count(*)::int AS open FROM boitata_dead_letters WHERE replayed_at IS NULL AND ($1::text IS NULL OR tenant_id = $1)`;

const OPEN_DEAD_LETTERS_BY_TENANT_SQL = `
SELECT tenant_id, count(*)::int AS open FROM boitata_dead_letters WHERE replayed_at IS NULL AND tenant_id = ANY($1) GROUP BY tenant_id`;

// Newest first by id (ids follow the order they died in; d.id: the output column `id` is text and would sort as text), one more than shown to know whether older ones exist;
// the reason is cut in the database (a literal left open by the cut is redacted to the end).
const LATEST_DEAD_LETTERS_SQL = `
SELECT d.id::text AS id, d.tenant_id, d.message_id::text AS message_id, d.error_code, left(d.reason, 16000) AS reason, d.attempts, d.dead_at
  FROM boitata_dead_letters d
 WHERE d.replayed_at IS NULL AND ($2::text IS NULL OR d.tenant_id = $2) AND ($3::bigint IS NULL OR d.id < $3)
 ORDER BY d.id DESC LIMIT $1`;

export async function loadStatusSnapshot(
  pool: pg.Pool,
  metrics: ProcessorMetrics,
  view: StatusView,
  options: { replayEnabled: boolean },
): Promise<StatusSnapshot> {
  const processor = await readCounters(metrics);
  // One snapshot of the database: the per-tenant figures add up to the totals.
  return withDatabaseDeadline(pool, STATUS_DATABASE_DEADLINE_MS, (client) =>
    readOnlySnapshot(client, STATUS_DATABASE_DEADLINE_MS, (snapshot) => readSnapshot(snapshot, view, processor, options.replayEnabled, metrics.tenantLimit)),
  );
}

async function readSnapshot(
  client: pg.ClientBase,
  view: StatusView,
  processor: ProcessorCounters,
  replayEnabled: boolean,
  tenantLimit: number,
): Promise<StatusSnapshot> {
  const tenantId = view.kind === 'overview' ? null : view.tenant;
  const { rows: tenantRows, total: tenantTotal } = await readViewTenants(client, view);
  const tables = view.kind === 'overview' ? null : await readViewTables(client, view);
  const ids = tenantRows.map((row) => row.id);
  const now = (await client.query<{ now: Date }>('SELECT now()')).rows[0]!.now;
  const queue = (await client.query<{ pending: number; processing: number; oldest: number | null }>(QUEUE_TOTAL_SQL)).rows[0]!;
  const queueOf = new Map(
    (await client.query<{ tenant_id: string; pending: number; processing: number; oldest: number }>(QUEUE_BY_TENANT_SQL, [ids])).rows.map((row) => [
      row.tenant_id,
      { pending: row.pending, processing: row.processing, oldest_waiting_seconds: row.oldest },
    ]),
  );
  const buckets = (await client.query<BucketCount>(THROUGHPUT_SQL, [THROUGHPUT_BUCKET_SECONDS, THROUGHPUT_WINDOW_SECONDS])).rows;
  const openOf = new Map(
    (await client.query<{ tenant_id: string; open: number }>(OPEN_DEAD_LETTERS_BY_TENANT_SQL, [ids])).rows.map((row) => [row.tenant_id, row.open]),
  );
  return {
    generated_at: now.toISOString(),
    view: { kind: view.kind, tenant: tenantId, table: view.kind === 'table' ? view.table : null, page: view.page },
    limits: L,
    queue: { pending: queue.pending, processing: queue.processing, oldest_waiting_seconds: queue.oldest },
    throughput: fillThroughput(buckets, now, THROUGHPUT_BUCKET_SECONDS, THROUGHPUT_WINDOW_SECONDS),
    processor,
    dead_letters: await readDeadLetters(client, tenantId, view.deadLettersBefore),
    column_warnings: await readColumnWarnings(client, tenantId),
    tenants: {
      total: tenantTotal,
      page: view.kind === 'overview' ? view.page : 1,
      per_page: L.tenantsPerPage,
      pages: pageCount(tenantTotal, L.tenantsPerPage),
      items: tenantRows.map((tenant) => ({
        id: tenant.id,
        name: tenant.name,
        queue: queueOf.get(tenant.id) ?? { pending: 0, processing: 0, oldest_waiting_seconds: null },
        dead_letters_open: openOf.get(tenant.id) ?? 0,
        table_count: tenant.table_count,
      })),
    },
    tables,
    replay: { enabled: replayEnabled },
    tenant_health: await readTenantHealth(client, {
      limit: Math.min(tenantLimit, TENANT_HEALTH_PAGE_ROWS),
      windowSeconds: TENANT_HEALTH_WINDOW_SECONDS,
      tenant: tenantId,
    }),
  };
}

/** The overview's page of tenants, or the one tenant a tenant or table view is about. */
async function readViewTenants(client: pg.ClientBase, view: StatusView): Promise<{ rows: TenantRow[]; total: number }> {
  if (view.kind === 'overview') return readTenantsPage(client, view.page);
  const tenant = await readTenant(client, view.tenant);
  if (tenant === null) throw new BoitataError('not_found', `no tenant ${JSON.stringify(view.tenant.slice(0, L.nameLength))}: pick one from /status`);
  return { rows: [tenant], total: 1 };
}

/** A tenant's page of tables, or one table with its columns paged. */
async function readViewTables(client: pg.ClientBase, view: Exclude<StatusView, { kind: 'overview' }>): Promise<NonNullable<StatusSnapshot['tables']>> {
  const one = view.kind === 'table' ? view.table : undefined;
  const read = await readTables(client, view.tenant, view.page, one);
  if (one !== undefined && read.tables.length === 0) {
    throw new BoitataError(
      'not_found',
      `tenant ${view.tenant} has no table ${JSON.stringify(one.slice(0, L.nameLength))}: pick one from /status?tenant=${encodeURIComponent(view.tenant)}`,
    );
  }
  const table = read.tables[0];
  return one !== undefined && table !== undefined
    ? {
        total: 1,
        page: view.page,
        per_page: L.columnsPerPage,
        items: read.tables,
        pages: Math.max(pageCount(table.column_count, L.columnsPerPage), pageCount(table.alias_count, L.aliasesPerPage)),
      }
    : { total: read.total, page: view.page, per_page: L.tablesPerPage, pages: pageCount(read.total, L.tablesPerPage), items: read.tables };
}

/** The open dead letters (of a tenant, or all) and the latest page of them, reasons redacted. */
async function readDeadLetters(
  client: pg.ClientBase,
  tenantId: string | null,
  before: StatusView['deadLettersBefore'],
): Promise<StatusSnapshot['dead_letters']> {
  const open = (await client.query<{ open: number }>(OPEN_DEAD_LETTERS_SQL, [tenantId])).rows[0]!.open;
  const latest = (await client.query<DeadLetterRow>(LATEST_DEAD_LETTERS_SQL, [L.deadLetters + 1, tenantId, before])).rows;
  const shown = latest.slice(0, L.deadLetters);
  return {
    open,
    limit: L.deadLetters,
    latest: shown.map((row) => ({
      id: row.id,
      tenant_id: row.tenant_id,
      message_id: row.message_id,
      error_code: row.error_code,
      reason: redactReason(row.reason, L.reasonLength),
      attempts: row.attempts,
      dead_at: row.dead_at.toISOString(),
    })),
    older: latest.length > L.deadLetters ? shown.at(-1)!.id : null,
  };
}

async function readCounters(metrics: ProcessorMetrics): Promise<ProcessorCounters> {
  const byLabel = async (
    metric: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string | number | undefined> }> }> },
    label: string,
  ) => {
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

interface DeadLetterRow {
  id: string;
  tenant_id: string;
  message_id: string;
  error_code: string;
  reason: string;
  attempts: number;
  dead_at: Date;
}
