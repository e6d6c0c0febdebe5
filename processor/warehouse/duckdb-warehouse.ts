// The DuckDB adapter of the warehouse port: one file, one schema per tenant, rows staged through the appender.
import { basename, extname } from 'node:path';
import { DuckDBDataChunkWriter, listValue, LIST, VARCHAR as DUCKDB_VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { carriesProvenance, METADATA_COLUMNS, metadataColumnTypes } from '../schema/physical-name.ts';
import {
  renderCountMatching,
  renderCountReceivedBefore,
  renderDeleteMatching,
  renderDeleteReceivedBefore,
  renderDropSchema,
  renderDropTable,
  SCHEMA_TABLES_SQL,
} from './duckdb-governance-sql.ts';
import { checkedHashes, presentMatch } from './governance-input.ts';
import { isWritable, VARCHAR, type ColumnType } from '../schema/type-table.ts';
import type { SchemaChange } from '../schema/plan-schema-change.ts';
import { duckDbFile, type DuckDbAccess, type DuckDbFile } from './duckdb-file.ts';
import {
  DESCRIBE_SQL,
  STAGING_TABLE,
  portType,
  renderAddColumn,
  renderCommentColumn,
  renderCreateSchema,
  renderCreateTable,
  renderDeleteStagedRows,
  renderDropStaging,
  renderInsertFromStaging,
  renderLandedRows,
  renderMergeFromStaging,
  renderReplaceValues,
  renderSchemaChange,
  renderStagingTable,
  renderUnhashedValues,
} from './duckdb-sql.ts';
import { cellValue, jsonFriendly, metadataValues } from './duckdb-values.ts';
import {
  WarehouseError,
  type HashMatch,
  type LoadRow,
  type MetadataOptions,
  type PurgeReport,
  type QueryResult,
  type TableRef,
  type Warehouse,
} from './warehouse.ts';

export interface DuckDbWarehouseSettings {
  /** the database file; its directory is created when missing */
  path: string;
  /** a tenant's schema is this prefix + its id */
  schemaPrefix: string;
  /** close the file after this long without a call, so another process (the CLI) can open it; 0 = never (default 1000) */
  idleCloseMs?: number;
  /** how long a call waits for another process to let go of the file before failing with WAREHOUSE_LOCKED (default 2000) */
  lockWaitMs?: number;
  /** the same for `query`, which is what a CLI calls while a processor may hold the file (default 5000) */
  queryLockWaitMs?: number;
  /** a reader (the CLI): every call opens the file read-only, so it is never created nor changed here */
  readOnly?: boolean;
}

type Columns = ReadonlyArray<readonly [string, ColumnType]>;

export class DuckDbWarehouse implements Warehouse {
  private readonly file: DuckDbFile;
  private readonly schemaPrefix: string;
  private readonly catalog: string;
  private readonly access: DuckDbAccess;
  private readonly queryAccess: DuckDbAccess;
  private readonly readOnly: boolean;

  constructor(settings: DuckDbWarehouseSettings) {
    this.file = duckDbFile(settings.path);
    this.schemaPrefix = settings.schemaPrefix;
    // What DuckDB calls the attached file; informative only, SQL names schema and table (see qualifiedName).
    this.catalog = basename(settings.path, extname(settings.path));
    const idleCloseMs = settings.idleCloseMs ?? 1000;
    this.access = { idleCloseMs, lockWaitMs: settings.lockWaitMs ?? 2000 };
    this.queryAccess = { idleCloseMs, lockWaitMs: settings.queryLockWaitMs ?? 5000 };
    this.readOnly = settings.readOnly ?? false;
  }

  tableRef(tenantId: string, table: string): TableRef {
    return { catalog: this.catalog, schema: `${this.schemaPrefix}${tenantId}`, table };
  }

  async ensureSchema(ref: TableRef): Promise<void> {
    await this.write((c) => c.run(renderCreateSchema(ref.schema)));
  }

  async describeTable(ref: TableRef): Promise<Map<string, ColumnType> | null> {
    const rows = await this.write(async (c) => (await c.runAndReadAll(DESCRIBE_SQL, [ref.schema, ref.table])).getRows());
    if (rows.length === 0) return null;
    return new Map(rows.map(([name, type]) => [String(name), portType(String(type))]));
  }

  async createTable(ref: TableRef, columns: ReadonlyArray<{ physical: string; type: ColumnType }>, options: MetadataOptions = {}): Promise<void> {
    const statement = renderCreateTable(ref, columns, options.provenance ?? true);
    await this.write(async (c) => {
      await c.run(renderCreateSchema(ref.schema));
      await c.run(statement);
    });
  }

  async ensureMetadataColumns(ref: TableRef, existing: ReadonlySet<string>, options: MetadataOptions = {}): Promise<void> {
    const statements = metadataColumnTypes(options.provenance ?? true)
      .filter(([name]) => !existing.has(name))
      .map(([name, type]) => renderAddColumn(ref, name, type));
    await this.write(async (c) => {
      for (const statement of statements) await c.run(statement);
    });
  }

  async applyChange(ref: TableRef, change: SchemaChange): Promise<void> {
    const statement = renderSchemaChange(ref, change);
    await this.write((c) => c.run(statement));
  }

  async landedRows(ref: TableRef, messageIds: readonly string[]): Promise<Set<string>> {
    if (messageIds.length === 0) return new Set();
    const rows = await this.write(async (c) => (await c.runAndReadAll(renderLandedRows(ref), [listValue([...messageIds])], [LIST(DUCKDB_VARCHAR)])).getRows());
    return new Set(rows.map(([messageId, rowId]) => `${String(messageId)}:${String(rowId)}`));
  }

  async insertRows(ref: TableRef, rows: readonly LoadRow[], tableColumns: ReadonlyMap<string, ColumnType>, options: MetadataOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const data = cellColumns(rows)
      .map((name) => [name, tableColumns.get(name) ?? VARCHAR] as const)
      .filter(([, type]) => isWritable(type));
    await this.writeStaged(rows, data, options, (columns) => [renderInsertFromStaging(ref, columns)]);
  }

  async mergeRows(
    ref: TableRef,
    keyColumn: string,
    rows: readonly LoadRow[],
    tableColumns: ReadonlyMap<string, ColumnType>,
    options: MetadataOptions = {},
  ): Promise<void> {
    if (rows.length === 0) return;
    // Every writable column, so an update replaces the item with its latest version (absent fields become NULL).
    const data = [...tableColumns].filter(([, type]) => isWritable(type)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await this.writeStaged(rows, data, options, (columns) => [renderMergeFromStaging(ref, keyColumn, columns)]);
  }

  /** The earlier versions deleted and the rows inserted in one transaction: every writable column, as mergeRows. */
  async replaceRows(ref: TableRef, rows: readonly LoadRow[], tableColumns: ReadonlyMap<string, ColumnType>, options: MetadataOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const data = [...tableColumns].filter(([, type]) => isWritable(type)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await this.writeStaged(rows, data, options, (columns) => [renderDeleteStagedRows(ref), renderInsertFromStaging(ref, columns)]);
  }

  async commentColumn(ref: TableRef, physical: string, comment: string): Promise<void> {
    const statement = renderCommentColumn(ref, physical, comment);
    await this.write((c) => c.run(statement));
  }

  async unhashedValues(ref: TableRef, physical: string, limit: number): Promise<string[]> {
    const rows = await this.write(async (c) =>
      (await c.runAndReadAll(renderUnhashedValues(ref, physical), [BigInt(Math.max(0, Math.trunc(limit)))])).getRows(),
    );
    return rows.map((row) => String(row[0]));
  }

  async replaceValues(ref: TableRef, physical: string, mapping: ReadonlyMap<string, string>): Promise<void> {
    if (mapping.size === 0) return;
    const originals = listValue([...mapping.keys()]);
    const replacements = listValue([...mapping.values()]);
    await this.write((c) => c.run(renderReplaceValues(ref, physical), [originals, replacements], [LIST(DUCKDB_VARCHAR), LIST(DUCKDB_VARCHAR)]));
  }

  // Governance (issue 14): erasure by hash, retention by age, purge, drop. SQL from duckdb-governance-sql.ts.
  async countMatching(ref: TableRef, match: HashMatch): Promise<number> {
    const present = await this.presentMatch(ref, match);
    if (present === null) return 0;
    const statement = renderCountMatching(ref, present);
    const rows = await this.write(async (c) => (await c.runAndReadAll(statement, [listValue(present.hashes)], [LIST(DUCKDB_VARCHAR)])).getRows());
    return Number(rows[0]?.[0] ?? 0);
  }

  async deleteMatching(ref: TableRef, match: HashMatch): Promise<number> {
    const present = await this.presentMatch(ref, match);
    if (present === null) return 0;
    const statement = renderDeleteMatching(ref, present);
    return this.write(async (c) => (await c.run(statement, [listValue(present.hashes)], [LIST(DUCKDB_VARCHAR)])).rowsChanged);
  }

  async countReceivedBefore(ref: TableRef, cutoff: string): Promise<number> {
    const statement = renderCountReceivedBefore(ref, cutoff);
    if (!(await this.hasReceivedAt(ref))) return 0;
    const rows = await this.write(async (c) => (await c.runAndReadAll(statement)).getRows());
    return Number(rows[0]?.[0] ?? 0);
  }

  async deleteReceivedBefore(ref: TableRef, cutoff: string): Promise<number> {
    const statement = renderDeleteReceivedBefore(ref, cutoff);
    if (!(await this.hasReceivedAt(ref))) return 0;
    return this.write(async (c) => (await c.run(statement)).rowsChanged);
  }

  /** No snapshots to expire: a checkpoint writes the file without the deleted rows' row groups where DuckDB can. */
  async purgeDeleted(_ref: TableRef): Promise<PurgeReport> {
    await this.write((c) => c.run('CHECKPOINT'));
    return { formatVersion: null, purged: true, problem: null };
  }

  async dropTable(ref: TableRef): Promise<void> {
    const statement = renderDropTable(ref);
    await this.write((c) => c.run(statement));
  }

  /** Only once empty, as on Trino: a table left in it (not dropped first) is an error, never dropped along. */
  async dropSchema(ref: TableRef): Promise<void> {
    const statement = renderDropSchema(ref);
    await this.write(async (c) => {
      const tables = Number((await c.runAndReadAll(SCHEMA_TABLES_SQL, [ref.schema])).getRows()[0]?.[0] ?? 0);
      if (tables > 0) throw new WarehouseError('permanent', 'schema_not_empty', `schema ${ref.schema} still holds tables; drop them first`);
      await c.run(statement);
    });
  }

  private async presentMatch(ref: TableRef, match: HashMatch): Promise<HashMatch | null> {
    checkedHashes(match.hashes);
    const columns = await this.describeTable(ref);
    return columns === null ? null : presentMatch(match, columns);
  }

  private async hasReceivedAt(ref: TableRef): Promise<boolean> {
    return (await this.describeTable(ref))?.has(METADATA_COLUMNS.receivedAt) ?? false;
  }

  /** DuckDB has no snapshots to expire: a checkpoint folds the write-ahead log into the file. */
  async maintain(_ref: TableRef): Promise<void> {
    await this.write((c) => c.run('CHECKPOINT'));
  }

  /**
   * Runs any SQL and returns JSON-friendly rows (see jsonFriendly). When this process does not have the file
   * open, it is opened read-only for this call, so a CLI can read while a processor is between writes.
   */
  async query(sql: string): Promise<QueryResult> {
    return this.file.read(this.queryAccess, async (c) => {
      const reader = await c.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRows().map((row) => row.map(jsonFriendly)) };
    });
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  // A read-only adapter runs even the writing methods read-only: DuckDB then refuses them itself.
  private write<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.readOnly ? this.file.read(this.access, work) : this.file.write(this.access, work);
  }

  /**
   * Appends the rows to a temporary staging table of the target's column types, then moves them with the rendered
   * statements: one transaction per call, values only ever bound through the appender, never SQL text.
   */
  private async writeStaged(rows: readonly LoadRow[], data: Columns, options: MetadataOptions, render: (columns: Columns) => string[]): Promise<void> {
    // Provenance columns when the table has them, by default when a row has provenance (the loader makes sure then).
    const provenance = options.provenance ?? carriesProvenance(rows);
    const columns: Columns = [...metadataColumnTypes(provenance), ...data];
    // Converted before the file is touched: a value that does not fit is refused (permanent) with nothing written.
    const values = rows.map((row) => [...metadataValues(row, provenance), ...data.map(([name, type]) => cellValue(row.cells.get(name) ?? null, type))]);
    const statements = render(columns);
    await this.write(async (c) => {
      await c.run(renderStagingTable(columns));
      try {
        const appender = await c.createAppender(STAGING_TABLE, 'main', 'temp');
        try {
          const writer = DuckDBDataChunkWriter.forAppender(appender);
          for (const row of values) writer.appendRow(row);
          writer.flush();
        } finally {
          appender.closeSync();
        }
        await runInOneTransaction(c, statements);
      } finally {
        await c.run(renderDropStaging());
      }
    });
  }
}

/** One statement commits by itself; several (a re-drive's delete and insert) commit together or not at all. */
async function runInOneTransaction(connection: DuckDBConnection, statements: readonly string[]): Promise<void> {
  if (statements.length === 1) {
    await connection.run(statements[0]!);
    return;
  }
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const statement of statements) await connection.run(statement);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The data columns a set of rows fills, in a stable order. */
function cellColumns(rows: readonly LoadRow[]): string[] {
  const names = new Set<string>();
  for (const row of rows) for (const name of row.cells.keys()) names.add(name);
  return [...names].sort();
}
