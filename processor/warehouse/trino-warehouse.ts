// The Trino/Iceberg adapter of the warehouse port: one schema per tenant, SQL from trino-sql.ts.
import { metadataColumnTypes } from '../schema/physical-name.ts';
import { columnType, type ColumnType } from '../schema/type-table.ts';
import type { SchemaChange } from '../schema/plan-schema-change.ts';
import { TrinoStatementRunner, type TrinoSettings } from './trino-client.ts';
import { quoteIdentifier, quoteString } from './sql-quote.ts';
import {
  qualifiedName,
  renderAddColumn,
  renderCreateSchema,
  renderCreateTable,
  renderDescribe,
  renderInserts,
  renderLandedRows,
  renderMerges,
  renderReplaces,
  renderSchemaChange,
} from './trino-sql.ts';
import type { HashMatch, LoadRow, MetadataOptions, PurgeReport, QueryResult, TableRef, Warehouse } from './warehouse.ts';

export interface TrinoWarehouseSettings extends TrinoSettings {
  catalog: string;
  /** a tenant's schema is this prefix + its id (tenant ids are lowercase already, so the mapping is one to one) */
  schemaPrefix: string;
  maxQueryLength: number;
  snapshotRetention: string;
}

export class TrinoWarehouse implements Warehouse {
  private readonly runner: TrinoStatementRunner;
  private readonly settings: TrinoWarehouseSettings;
  // One CREATE SCHEMA per schema at a time: tables written concurrently would race on the catalog row.
  private readonly knownSchemas = new Map<string, Promise<unknown>>();

  constructor(settings: TrinoWarehouseSettings) {
    this.settings = settings;
    this.runner = new TrinoStatementRunner(settings);
  }

  run(sql: string) {
    return this.runner.run(sql);
  }

  tableRef(tenantId: string, table: string): TableRef {
    return { catalog: this.settings.catalog, schema: `${this.settings.schemaPrefix}${tenantId}`, table };
  }

  async ensureSchema(ref: TableRef): Promise<void> {
    let created = this.knownSchemas.get(ref.schema);
    if (created === undefined) {
      created = this.runner.run(renderCreateSchema(ref.catalog, ref.schema));
      this.knownSchemas.set(ref.schema, created);
      created.catch(() => this.knownSchemas.delete(ref.schema));
    }
    await created;
  }

  async describeTable(ref: TableRef): Promise<Map<string, ColumnType> | null> {
    const { rows } = await this.runner.run(renderDescribe(ref));
    if (rows.length === 0) return null;
    const columns = new Map<string, ColumnType>();
    for (const [name, type] of rows as Array<[string, string]>) columns.set(name, columnType(type));
    return columns;
  }

  async createTable(ref: TableRef, columns: ReadonlyArray<{ physical: string; type: ColumnType }>, options: MetadataOptions = {}): Promise<void> {
    await this.ensureSchema(ref);
    await this.runner.run(renderCreateTable(ref, columns, options.provenance ?? true));
  }

  async ensureMetadataColumns(ref: TableRef, existing: ReadonlySet<string>, options: MetadataOptions = {}): Promise<void> {
    for (const [name, type] of metadataColumnTypes(options.provenance ?? true)) {
      if (!existing.has(name)) await this.runner.run(renderAddColumn(ref, name, type));
    }
  }

  async applyChange(ref: TableRef, change: SchemaChange): Promise<void> {
    await this.runner.run(renderSchemaChange(ref, change));
  }

  async landedRows(ref: TableRef, messageIds: readonly string[]): Promise<Set<string>> {
    const landed = new Set<string>();
    for (let i = 0; i < messageIds.length; i += 500) {
      const { rows } = await this.runner.run(renderLandedRows(ref, messageIds.slice(i, i + 500)));
      for (const [messageId, rowId] of rows as Array<[string, number]>) landed.add(`${messageId}:${rowId}`);
    }
    return landed;
  }

  async insertRows(ref: TableRef, rows: readonly LoadRow[], tableColumns: ReadonlyMap<string, ColumnType>, options: MetadataOptions = {}): Promise<void> {
    for (const statement of renderInserts(ref, rows, tableColumns, this.settings.maxQueryLength, options.provenance)) await this.runner.run(statement);
  }

  async mergeRows(
    ref: TableRef,
    keyColumn: string,
    rows: readonly LoadRow[],
    tableColumns: ReadonlyMap<string, ColumnType>,
    options: MetadataOptions = {},
  ): Promise<void> {
    for (const statement of renderMerges(ref, keyColumn, rows, tableColumns, this.settings.maxQueryLength, options.provenance)) {
      await this.runner.run(statement);
    }
  }

  /** One MERGE per statement-length chunk: each is its own commit, and running one again changes nothing. */
  async replaceRows(ref: TableRef, rows: readonly LoadRow[], tableColumns: ReadonlyMap<string, ColumnType>, options: MetadataOptions = {}): Promise<void> {
    for (const statement of renderReplaces(ref, rows, tableColumns, this.settings.maxQueryLength, options.provenance)) await this.runner.run(statement);
  }

  async commentColumn(ref: TableRef, physical: string, comment: string): Promise<void> {
    await this.runner.run(`COMMENT ON COLUMN ${qualifiedName(ref)}.${quoteIdentifier(physical)} IS ${quoteString(comment)}`);
  }

  async unhashedValues(ref: TableRef, physical: string, limit: number): Promise<string[]> {
    const column = quoteIdentifier(physical);
    const { rows } = await this.runner.run(
      `SELECT DISTINCT ${column} FROM ${qualifiedName(ref)} WHERE ${column} IS NOT NULL AND NOT regexp_like(${column}, '^[0-9a-f]{64}$') LIMIT ${Math.trunc(limit)}`,
    );
    return rows.map((row) => String(row[0]));
  }

  async replaceValues(ref: TableRef, physical: string, mapping: ReadonlyMap<string, string>): Promise<void> {
    const column = quoteIdentifier(physical);
    // Several statements when the values are long: each stays under the maximum statement length.
    const entries = [...mapping];
    while (entries.length > 0) {
      const batch: Array<[string, string]> = [];
      let length = 0;
      while (entries.length > 0 && (batch.length === 0 || length + entries[0]![0].length * 2 + 200 < this.settings.maxQueryLength / 2)) {
        const entry = entries.shift()!;
        batch.push(entry);
        length += entry[0].length * 2 + entry[1].length + 40;
      }
      const cases = batch.map(([from, to]) => `WHEN ${quoteString(from)} THEN ${quoteString(to)}`).join(' ');
      const list = batch.map(([from]) => quoteString(from)).join(', ');
      await this.runner.run(`UPDATE ${qualifiedName(ref)} SET ${column} = CASE ${column} ${cases} ELSE ${column} END WHERE ${column} IN (${list})`);
    }
  }

  // Governance operations (issue 14): implemented by the governance work in progress.
  countMatching(_ref: TableRef, _match: HashMatch): Promise<number> {
    return Promise.reject(new Error('countMatching: not implemented yet'));
  }

  deleteMatching(_ref: TableRef, _match: HashMatch): Promise<number> {
    return Promise.reject(new Error('deleteMatching: not implemented yet'));
  }

  countReceivedBefore(_ref: TableRef, _cutoff: string): Promise<number> {
    return Promise.reject(new Error('countReceivedBefore: not implemented yet'));
  }

  deleteReceivedBefore(_ref: TableRef, _cutoff: string): Promise<number> {
    return Promise.reject(new Error('deleteReceivedBefore: not implemented yet'));
  }

  purgeDeleted(_ref: TableRef): Promise<PurgeReport> {
    return Promise.reject(new Error('purgeDeleted: not implemented yet'));
  }

  dropTable(_ref: TableRef): Promise<void> {
    return Promise.reject(new Error('dropTable: not implemented yet'));
  }

  dropSchema(_ref: TableRef): Promise<void> {
    return Promise.reject(new Error('dropSchema: not implemented yet'));
  }

  async maintain(ref: TableRef): Promise<void> {
    const table = qualifiedName(ref);
    await this.runner.run(`ALTER TABLE ${table} EXECUTE optimize(file_size_threshold => '128MB')`);
    await this.runner.run(`ALTER TABLE ${table} EXECUTE expire_snapshots(retention_threshold => ${quoteString(this.settings.snapshotRetention)})`);
    await this.runner.run(`ALTER TABLE ${table} EXECUTE remove_orphan_files(retention_threshold => ${quoteString(this.settings.snapshotRetention)})`);
  }

  /** Values as Trino's JSON protocol gives them (large bigints lose precision there; cast them to varchar to see every digit). */
  async query(sql: string): Promise<QueryResult> {
    return this.runner.run(sql);
  }

  async close(): Promise<void> {}
}
