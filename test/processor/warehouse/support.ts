// Helpers for the warehouse tests: real tenants and credentials, pushes through the real Worker, a real processor, real Trino.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { addApiKey } from '../../../cli/api-keys.ts';
import { addConnection } from '../../../cli/connections.ts';
import { addTenant } from '../../../cli/tenants.ts';
import { BatchLoader } from '../../../processor/batch-loader.ts';
import { createLogger } from '../../../processor/logger.ts';
import { Processor } from '../../../processor/processor.ts';
import { QueueStore } from '../../../processor/queue/queue-store.ts';
import { SchemaRegistry } from '../../../processor/schema/schema-registry.ts';
import { TrinoWarehouse } from '../../../processor/warehouse/trino-warehouse.ts';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';
import type { Warehouse } from '../../../processor/warehouse/warehouse.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';
import type { AiSchemaMatcher } from '../../../processor/ai/schema-matcher.ts';

export const trinoUrl = inject('trinoUrl');
export const edgeUrl = inject('edgeUrl');
export const databaseUrl = inject('databaseUrl');
export const CATALOG = 'iceberg';
export const SCHEMA_PREFIX = 'tenant_';

/** `describe` when a Trino is ready; otherwise a skipped suite whose name says why. */
export const describeWarehouse = (name: string, body: () => void) =>
  trinoUrl === '' ? describe.skip(`${name} [SKIPPED: ${inject('trinoSkipReason')}]`, body) : describe(name, body);

export const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });

let counter = 0;
export const uniqueTenant = () => `t${Date.now().toString(36)}${(counter++).toString(36)}${randomUUID().slice(0, 4)}`;

export async function newTenant(): Promise<string> {
  const id = uniqueTenant();
  await addTenant(db, { id });
  return id;
}

export async function newConnection(options: { tenant?: string; table?: string } = {}) {
  const tenant = options.tenant ?? (await newTenant());
  const { token } = await addConnection(db, { tenant, name: `c-${randomUUID().slice(0, 8)}`, ...(options.table ? { table: options.table } : {}) });
  return { tenant, token };
}

export async function newKey(tenant: string, kind: 'metrics' | 'source', sourceId?: string): Promise<string> {
  const { secret } = await addApiKey(db, { tenant, kind, ...(sourceId ? { sourceId } : {}) });
  return secret;
}

export async function post(path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  const response = await fetch(`${edgeUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (response.status !== 202) throw new Error(`push to ${path} answered ${response.status}: ${await response.text()}`);
  return response;
}

export function push(conn: { tenant: string; token: string }, body: unknown, table?: string, headers: Record<string, string> = {}) {
  const query = table === undefined ? '' : `?table=${encodeURIComponent(table)}`;
  return post(`/v1/ingest/push/${conn.token}${query}`, body, { 'x-tenant-id': conn.tenant, ...headers });
}

export function webhook(conn: { token: string }, stream: string, body: unknown, headers: Record<string, string> = {}) {
  return post(`/api/webhook/${stream}`, body, { authorization: `Bearer ${conn.token}`, ...headers });
}

export const warehouse = (url = trinoUrl) =>
  new TrinoWarehouse({
    url,
    user: 'boitata-tests',
    statementTimeoutMs: 120_000,
    catalog: CATALOG,
    schemaPrefix: SCHEMA_PREFIX,
    maxQueryLength: 1_000_000,
    snapshotRetention: '7d',
  });

const trino = trinoUrl === '' ? null : warehouse();

/** Runs SQL on the real Trino and returns the rows as objects keyed by column name. */
export async function trinoQuery(sql: string): Promise<Array<Record<string, unknown>>> {
  const { columns, rows } = await trino!.run(sql);
  return rows.map((row) => Object.fromEntries(columns.map((name, i) => [name, row[i]])));
}

export const tableName = (tenant: string, table: string) => `${CATALOG}."${SCHEMA_PREFIX}${tenant}"."${table}"`;

export const silentLog = createLogger('error', () => undefined);

/** An in-process processor that claims only these tenants' messages (tests run side by side). */
/** The PII hasher the test processors use, with a known key, so tests can compute the expected hashes. */
export const testHasher = new PiiHasher('hmac', Buffer.from('test-pii-hash-key-0123456789', 'utf8'));
export const piiHash = (tenant: string, value: unknown) => testHasher.hash(tenant, value);

export interface ProcessorOptions {
  batchSize?: number;
  leaseSeconds?: number;
  id?: string;
  trinoUrl?: string;
  maxAttempts?: number;
  matcher?: AiSchemaMatcher;
}

export function testProcessor(tenants: string[], options: ProcessorOptions = {}, wh: Warehouse = warehouse(options.trinoUrl)) {
  const registry = new SchemaRegistry({ pool: db, poolSize: 4, warehouse: wh, matcher: options.matcher ?? null });
  const loader = new BatchLoader({ warehouse: wh, registry, hasher: testHasher });
  const queue = new QueueStore(db, options.id ?? `test-${randomUUID().slice(0, 8)}`, options.leaseSeconds ?? 60, tenants);
  return new Processor({
    queue,
    loader,
    log: silentLog,
    settings: { batchSize: options.batchSize ?? 500, pollIntervalMs: 50, leaseSeconds: options.leaseSeconds ?? 60, maxAttempts: options.maxAttempts ?? 5 },
  });
}

export async function queueStatus(tenant: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM boitata_inbound_queue WHERE tenant_id = $1 GROUP BY status',
    [tenant],
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Runs the processor until none of the tenant's messages is pending or in flight (leases may have to expire first). */
export async function settle(processor: Processor, tenant: string, timeoutMs = 60_000): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await processor.runOnce();
    const status = await queueStatus(tenant);
    if ((status['pending'] ?? 0) === 0 && (status['processing'] ?? 0) === 0) return status;
    if (Date.now() > deadline) throw new Error(`queue did not settle: ${JSON.stringify(status)}; last error ${result.error?.message}`);
    if (result.claimed === 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function countRows(tenant: string, table: string): Promise<{ rows: number; distinct: number }> {
  const [row] = await trinoQuery(`SELECT count(*) AS n, count(DISTINCT (_boitata_message_id, _boitata_row_id)) AS d FROM ${tableName(tenant, table)}`);
  return { rows: Number(row!['n']), distinct: Number(row!['d']) };
}

/**
 * One of the two warehouses the end-to-end suites run against: the same test body, DuckDB (always) and
 * Trino/Iceberg (when a Trino answers; always in CI). Only what differs in SQL between them lives here.
 */
export interface TestWarehouse {
  kind: 'duckdb' | 'trino';
  /** a fresh adapter (what a processor gets) */
  create(): Warehouse;
  processor(tenants: string[], options?: Omit<ProcessorOptions, 'trinoUrl'>): Processor;
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  /** the qualified name of a tenant's schema and table, for SQL */
  schema(tenant: string): string;
  table(tenant: string, table: string): string;
  /** SQL turning a timestamp with time zone into `2026-06-12T10:00:00.123456Z` text */
  isoUtc(expression: string): string;
  tables(tenant: string): Promise<string[]>;
  schemaExists(tenant: string): Promise<boolean>;
  /** physical column → type, as the port reports them */
  columnTypes(tenant: string, table: string): Promise<Record<string, string>>;
  columnComment(tenant: string, table: string, column: string): Promise<string | null>;
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

function testWarehouse(kind: 'duckdb' | 'trino', create: () => Warehouse, catalog: string | null): TestWarehouse {
  const reader = create();
  const query = async (sql: string) => {
    const { columns, rows } = await reader.query(sql);
    return rows.map((row) => Object.fromEntries(columns.map((name, i) => [name, row[i]])));
  };
  const schemaName = (tenant: string) => `${SCHEMA_PREFIX}${tenant}`;
  const infoSchema = catalog === null ? 'information_schema' : `${catalog}.information_schema`;
  return {
    kind,
    create,
    processor: (tenants, options = {}) => testProcessor(tenants, options, create()),
    query,
    schema: (tenant) => (catalog === null ? '' : `${catalog}.`) + quoted(schemaName(tenant)),
    table: (tenant, table) => `${(catalog === null ? '' : `${catalog}.`) + quoted(schemaName(tenant))}.${quoted(table)}`,
    isoUtc: (expression) => (kind === 'trino' ? `to_iso8601(${expression} AT TIME ZONE 'UTC')` : expression),
    async tables(tenant) {
      const rows = await query(`SELECT table_name FROM ${infoSchema}.tables WHERE table_schema = '${schemaName(tenant)}' ORDER BY 1`);
      return rows.map((row) => String(row['table_name']));
    },
    async schemaExists(tenant) {
      return (await query(`SELECT schema_name FROM ${infoSchema}.schemata WHERE schema_name = '${schemaName(tenant)}'`)).length > 0;
    },
    async columnTypes(tenant, table) {
      return Object.fromEntries((await reader.describeTable(reader.tableRef(tenant, table))) ?? []);
    },
    async columnComment(tenant, table, column) {
      const sql =
        kind === 'trino'
          ? `SELECT comment FROM ${infoSchema}.columns WHERE table_schema = '${schemaName(tenant)}' AND table_name = '${table}' AND column_name = '${column}'`
          : `SELECT comment FROM duckdb_columns() WHERE schema_name = '${schemaName(tenant)}' AND table_name = '${table}' AND column_name = '${column}'`;
      const [row] = await query(sql);
      return row === undefined ? null : (row['comment'] as string | null);
    },
  };
}

/** A DuckDB file of this test file's own (each test file runs in its own worker). */
export const duckDbFile = join(tmpdir(), `boitata-e2e-${process.pid}-${randomUUID().slice(0, 8)}.duckdb`);
export const duckDbWarehouse = testWarehouse('duckdb', () => new DuckDbWarehouse({ path: duckDbFile, schemaPrefix: SCHEMA_PREFIX }), null);
export const trinoWarehouse = trinoUrl === '' ? null : testWarehouse('trino', () => warehouse(), CATALOG);

/** The suite once per warehouse: DuckDB always; Trino when it answers, else skipped with the reason in its name. */
export function describeEachWarehouse(name: string, body: (wh: TestWarehouse) => void): void {
  describe(`${name} [DuckDB]`, () => body(duckDbWarehouse));
  if (trinoWarehouse === null) describe.skip(`${name} [Trino/Iceberg] [SKIPPED: ${inject('trinoSkipReason')}]`, () => body(duckDbWarehouse));
  else describe(`${name} [Trino/Iceberg]`, () => body(trinoWarehouse!));
}
