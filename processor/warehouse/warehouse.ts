// The warehouse port: what the loader needs from an analytical store. Trino/Iceberg (trino-warehouse.ts) and DuckDB
// (duckdb-warehouse.ts) implement it; test/processor/contract/ holds the one suite both must pass.
import type { MessageProvenance } from '../normalize/read-provenance.ts';
import type { Cell, ColumnType } from '../schema/column-types.ts';
import type { SchemaChange } from '../schema/plan-schema-change.ts';

export interface TableRef {
  catalog: string;
  schema: string;
  table: string;
}

/** One row ready to write: its identity (for exactly-once checks), metadata, and cells by physical column. */
export interface LoadRow {
  messageId: string;
  /** ordinal of the row within its message and table */
  rowId: number;
  /** canonical timestamp text (see canonicalTimestamp) */
  receivedAt: string;
  tenantId: string;
  endpoint: string;
  /** the queue id: orders writes of the same item */
  sequence: string;
  /** JSON text of the values that did not fit their column, with the reasons; null when none */
  rescue: string | null;
  /** what the edge verified, never what the payload claims: `connection:<uuid>` or `api_key:<uuid>` */
  credential: string;
  /** the source a source-scoped API key is bound to; null for every other credential */
  sourceId: string | null;
  /** what a verified provider delivery said about itself (the `_boitata_provider` … columns); null for other messages */
  provenance: MessageProvenance | null;
  cells: Map<string, Cell>;
}

/** Whether the provider provenance columns are included (physical-name.ts, PROVENANCE_KEYS); true when not said. */
export interface MetadataOptions {
  provenance?: boolean;
}

/** `transient` failures are retried with backoff; `permanent` ones mean this input can never load. */
export class WarehouseError extends Error {
  readonly kind: 'transient' | 'permanent';
  readonly errorName: string;

  constructor(kind: 'transient' | 'permanent', errorName: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WarehouseError';
    this.kind = kind;
    this.errorName = errorName;
  }
}

/**
 * Rows found by personal-data hashes (erasure): any of `columns` (physical, text columns holding hashes) equals one
 * of `hashes`, or a JSON text column quotes one of them as a JSON string (`"<hash>"`): the rescue column with
 * `rescue`, and each of `quoted` (a quarantine's `_boitata_row`).
 */
export interface HashMatch {
  columns: readonly string[];
  hashes: readonly string[];
  rescue: boolean;
  /** more text columns searched for `"<hash>"` (none when absent) */
  quoted?: readonly string[];
}

/** What making deletions physical did to a table (see `purgeDeleted`). */
export interface PurgeReport {
  /** the Iceberg format version (null: not Iceberg, e.g. DuckDB) */
  formatVersion: number | null;
  /** data files rewritten without the deleted rows, older snapshots expired and orphan files removed */
  purged: boolean;
  /** why it could not be made physical (a format-v1 table, a cluster refusing a 0 s retention, …); null when it was */
  problem: string | null;
}

/** Rows of an ad-hoc query, for people (the CLI): JSON-friendly values, in column order. */
export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export interface Warehouse {
  /** Where a tenant's table lives: one schema per tenant, so tenants never share a table. */
  tableRef(tenantId: string, table: string): TableRef;
  ensureSchema(ref: TableRef): Promise<void>;
  /** physical column → type, metadata columns included; null when the table does not exist */
  describeTable(ref: TableRef): Promise<Map<string, ColumnType> | null>;
  /** `provenance`: with the provider provenance columns (default true); the loader asks for them only when needed. */
  createTable(ref: TableRef, columns: ReadonlyArray<{ physical: string; type: ColumnType }>, options?: MetadataOptions): Promise<void>;
  /** Adds the metadata columns a table lacks (created outside Boitatá or before a column existed). */
  ensureMetadataColumns(ref: TableRef, existing: ReadonlySet<string>, options?: MetadataOptions): Promise<void>;
  applyChange(ref: TableRef, change: SchemaChange): Promise<void>;
  /** `${messageId}:${rowId}` of the rows of these messages already in the table */
  landedRows(ref: TableRef, messageIds: readonly string[]): Promise<Set<string>>;
  /** `tableColumns`: physical column → type, for every data column of the table */
  /**
   * `options.provenance`: the table has the provenance columns, so the write fills them (NULL for rows without);
   * by default only when a row has provenance. An upsert needs it said, so a plain update clears an item's.
   */
  insertRows(ref: TableRef, rows: readonly LoadRow[], tableColumns: ReadonlyMap<string, ColumnType>, options?: MetadataOptions): Promise<void>;
  mergeRows(
    ref: TableRef,
    keyColumn: string,
    rows: readonly LoadRow[],
    tableColumns: ReadonlyMap<string, ColumnType>,
    options?: MetadataOptions,
  ): Promise<void>;
  /**
   * Writes rows that replace their earlier versions, identified by (message id, row id): a row already in the table
   * is overwritten whole (every data and metadata column, so a column it no longer fills becomes NULL, as after an
   * alias fix), a row not there yet is added. What a re-driven message writes (`boitata messages redrive`): landing
   * it again, even twice after a crash before its acknowledgement, never duplicates a row.
   */
  replaceRows(ref: TableRef, rows: readonly LoadRow[], tableColumns: ReadonlyMap<string, ColumnType>, options?: MetadataOptions): Promise<void>;
  /** Sets a column's description in the warehouse catalog. */
  commentColumn(ref: TableRef, physical: string, comment: string): Promise<void>;
  /** Up to `limit` distinct non-null values of a text column that do not look hashed yet. */
  unhashedValues(ref: TableRef, physical: string, limit: number): Promise<string[]>;
  /** Replaces each value by its mapped value, in place. */
  replaceValues(ref: TableRef, physical: string, mapping: ReadonlyMap<string, string>): Promise<void>;
  /** Compaction and snapshot expiry. */
  maintain(ref: TableRef): Promise<void>;
  /** How many rows `match` finds (0 when the table does not exist). */
  countMatching(ref: TableRef, match: HashMatch): Promise<number>;
  /** Deletes the rows `match` finds; returns how many (row-level DELETE; on Iceberg format v2 it writes delete files). */
  deleteMatching(ref: TableRef, match: HashMatch): Promise<number>;
  /** How many rows were received before `cutoff` (canonical timestamp text, see canonicalTimestamp). */
  countReceivedBefore(ref: TableRef, cutoff: string): Promise<number>;
  /** Deletes the rows received before `cutoff` (retention); returns how many. */
  deleteReceivedBefore(ref: TableRef, cutoff: string): Promise<number>;
  /**
   * Makes earlier deletes physical: on Iceberg rewrites the data files that have deletes, expires every snapshot
   * older than the current one and removes orphan files (time travel to before is gone); on DuckDB a checkpoint.
   */
  purgeDeleted(ref: TableRef): Promise<PurgeReport>;
  /** Drops the table (and its files); nothing when it does not exist. */
  dropTable(ref: TableRef): Promise<void>;
  /** Drops a tenant's schema once its tables are dropped; nothing when it does not exist. */
  dropSchema(ref: TableRef): Promise<void>;
  /** Runs an ad-hoc statement (a SELECT from the CLI); the loader never calls it. */
  query(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}
