// The adapters the contract runs against, and LoadRows built the way the loader builds them.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { readProvenance } from '../../../processor/normalize/read-provenance.ts';
import { canonicalTimestamp, coerceValue, type Cell, type ColumnType } from '../../../processor/schema/column-types.ts';
import { renderType as renderDuckDbType } from '../../../processor/warehouse/duckdb-sql.ts';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';
import { TrinoWarehouse } from '../../../processor/warehouse/trino-warehouse.ts';
import type { LoadRow, TableRef, Warehouse } from '../../../processor/warehouse/warehouse.ts';

/** What differs between the adapters, in the tests only: how to name a table and read what the port does not return. */
export interface Subject {
  title: string;
  skipReason: string | null;
  open(): Warehouse;
  /** the table's name in `query` SQL */
  name(ref: TableRef): string;
  /** a port column type as this warehouse's DDL spells it (for tables the tests create by hand) */
  ddlType(type: ColumnType): string;
  /** SQL giving a timestamp(6) with time zone as `YYYY-MM-DD HH:MM:SS.ffffff` in UTC */
  utcText(column: string): string;
  readComment(warehouse: Warehouse, ref: TableRef, column: string): Promise<string | null>;
  /**
   * What maintenance must visibly change, where the warehouse shows it: Iceberg's data files of the table (optimize
   * compacts them). DuckDB's CHECKPOINT leaves nothing a test can tell from the file closing by itself when idle.
   */
  dataFiles?(warehouse: Warehouse, ref: TableRef): Promise<number>;
  cleanup(): void;
}

export const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const s = (text: string) => `'${text.replaceAll("'", "''")}'`;

const duckDir = join(tmpdir(), `boitata-contract-${process.pid}-${randomUUID().slice(0, 8)}`);
export const duckdb: Subject = {
  title: 'DuckDB',
  skipReason: null,
  // The directory does not exist yet: the adapter creates it.
  open: () => new DuckDbWarehouse({ path: join(duckDir, 'nested', 'warehouse.duckdb'), schemaPrefix: 'ct_' }),
  name: (ref) => `${q(ref.schema)}.${q(ref.table)}`,
  ddlType: renderDuckDbType,
  utcText: (column) => `strftime(timezone('UTC', ${column}), '%Y-%m-%d %H:%M:%S.%f')`,
  async readComment(warehouse, ref, column) {
    const { rows } = await warehouse.query(
      `SELECT comment FROM duckdb_columns() WHERE schema_name = ${s(ref.schema)} AND table_name = ${s(ref.table)} AND column_name = ${s(column)}`,
    );
    return (rows[0]?.[0] as string | null | undefined) ?? null;
  },
  cleanup: () => rmSync(duckDir, { recursive: true, force: true }),
};

const trinoUrl = inject('trinoUrl');
export const trino: Subject = {
  title: 'Trino/Iceberg',
  skipReason: trinoUrl === '' ? inject('trinoSkipReason') : null,
  open: () =>
    new TrinoWarehouse({
      url: trinoUrl,
      user: 'boitata-tests',
      statementTimeoutMs: 120_000,
      catalog: 'iceberg',
      schemaPrefix: `ct${Date.now().toString(36)}_`,
      maxQueryLength: 1_000_000,
      snapshotRetention: '7d',
    }),
  name: (ref) => `${q(ref.catalog)}.${q(ref.schema)}.${q(ref.table)}`,
  ddlType: (type) => type,
  utcText: (column) => `substr(CAST(${column} AT TIME ZONE 'UTC' AS varchar), 1, 26)`,
  async readComment(warehouse, ref, column) {
    const { rows } = await warehouse.query(`SHOW COLUMNS FROM ${q(ref.catalog)}.${q(ref.schema)}.${q(ref.table)}`);
    const comment = rows.find((row) => row[0] === column)?.[3];
    return comment === undefined || comment === null || comment === '' ? null : String(comment);
  },
  async dataFiles(warehouse, ref) {
    const { rows } = await warehouse.query(`SELECT count(*) FROM ${q(ref.catalog)}.${q(ref.schema)}.${q(`${ref.table}$files`)}`);
    return Number(rows[0]?.[0]);
  },
  cleanup: () => undefined,
};

let tenantCounter = 0;
export const newTenant = () => `t${(tenantCounter++).toString(36)}${randomUUID().slice(0, 6)}`;
export const TS = 'timestamp(6) with time zone';
/** The credential a LoadRow carries unless a test names another (what the edge verified, as the queue records it). */
export const CONTRACT_CREDENTIAL = 'connection:00000000-0000-4000-8000-00000000c0de';

/**
 * A LoadRow as the loader builds it: every value through coerceValue, the timestamp through canonicalTimestamp,
 * the provenance (the queue's jsonb, snake_case) through readProvenance as the claim reads it.
 */
export function loadRow(
  types: ReadonlyMap<string, ColumnType>,
  fields: Record<string, unknown>,
  identity: {
    messageId: string;
    rowId?: number;
    sequence?: string;
    rescue?: string | null;
    receivedAt?: string;
    credential?: string;
    sourceId?: string | null;
    provenance?: unknown;
  },
): LoadRow {
  const cells = new Map<string, Cell>();
  for (const [name, value] of Object.entries(fields)) {
    const coerced = coerceValue(value, types.get(name) ?? 'varchar');
    if (!coerced.ok) throw new Error(`test data does not fit: ${coerced.reason}`);
    cells.set(name, coerced.cell);
  }
  return {
    messageId: identity.messageId,
    rowId: identity.rowId ?? 0,
    receivedAt: canonicalTimestamp(identity.receivedAt ?? '2026-06-12T10:00:00.123456+05:30'),
    tenantId: 'contract',
    endpoint: 'contract-endpoint',
    sequence: identity.sequence ?? '1',
    rescue: identity.rescue ?? null,
    credential: identity.credential ?? CONTRACT_CREDENTIAL,
    sourceId: identity.sourceId ?? null,
    provenance: readProvenance(identity.provenance ?? null),
    cells,
  };
}
