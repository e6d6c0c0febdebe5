// The Trino/Iceberg adapter of the warehouse port: one schema per tenant, SQL from trino-sql.ts.
import { METADATA_COLUMNS, metadataColumnTypes } from '../schema/physical-name.ts';
import { checkedHashes, presentMatch } from './governance-input.ts';
import {
  renderCountReceivedBefore,
  renderDeleteFileCount,
  renderDeleteReceivedBefore,
  renderDropSchema,
  renderDropTable,
  renderFormatVersion,
  renderMatching,
  renderPurge,
} from './trino-governance-sql.ts';
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

  // Governance (issue 14): erasure by hash, retention by age, purge, drop. SQL from trino-governance-sql.ts.
  async countMatching(ref: TableRef, match: HashMatch): Promise<number> {
    const present = await this.presentMatch(ref, match);
    if (present === null) return 0;
    const statements = renderMatching('count', ref, present, this.settings.maxQueryLength);
    if (statements.length === 1) return Number((await this.runner.run(statements[0]!)).rows[0]?.[0] ?? 0);
    // Hashes split over several statements: a row matching hashes of two of them must count once.
    const rows = new Set<string>();
    for (const statement of renderMatching('keys', ref, present, this.settings.maxQueryLength)) {
      for (const row of (await this.runner.run(statement)).rows) rows.add(JSON.stringify(row));
    }
    return rows.size;
  }

  /** One DELETE per statement-length chunk, one after another: a row deleted by one is not there for the next. */
  async deleteMatching(ref: TableRef, match: HashMatch): Promise<number> {
    const present = await this.presentMatch(ref, match);
    if (present === null) return 0;
    let deleted = 0;
    for (const statement of renderMatching('delete', ref, present, this.settings.maxQueryLength)) deleted += await this.runDelete(ref, statement);
    return deleted;
  }

  async countReceivedBefore(ref: TableRef, cutoff: string): Promise<number> {
    const statement = renderCountReceivedBefore(ref, cutoff);
    if (!(await this.hasReceivedAt(ref))) return 0;
    return Number((await this.runner.run(statement)).rows[0]?.[0] ?? 0);
  }

  async deleteReceivedBefore(ref: TableRef, cutoff: string): Promise<number> {
    const statement = renderDeleteReceivedBefore(ref, cutoff);
    if (!(await this.hasReceivedAt(ref))) return 0;
    return this.runDelete(ref, statement);
  }

  async purgeDeleted(ref: TableRef): Promise<PurgeReport> {
    if ((await this.describeTable(ref)) === null) return { formatVersion: null, purged: true, problem: null };
    const formatVersion = await this.formatVersion(ref);
    if (formatVersion === 1) return { formatVersion, purged: false, problem: formatV1Problem(ref) };
    const purge = renderPurge(ref);
    await this.runner.run(purge.rewrite);
    const left = Number((await this.runner.run(renderDeleteFileCount(ref))).rows[0]?.[0] ?? 0);
    if (left > 0) return { formatVersion, purged: false, problem: `${left} delete file(s) remain after optimize; the deleted rows are still in data files` };
    for (const statement of [purge.expire, purge.removeOrphans]) {
      try {
        await this.runner.run(statement);
      } catch (error) {
        if (!(error instanceof WarehouseError) || !/min.?retention/i.test(error.message)) throw error;
        return {
          formatVersion,
          purged: false,
          problem:
            'the cluster refuses the purge: set iceberg.expire-snapshots.min-retention=0s and ' +
            'iceberg.remove-orphan-files.min-retention=1h (or less) in the Iceberg catalog properties (older snapshots still hold the deleted rows)',
        };
      }
    }
    return { formatVersion, purged: true, problem: null };
  }

  async dropTable(ref: TableRef): Promise<void> {
    await this.runner.run(renderDropTable(ref));
  }

  async dropSchema(ref: TableRef): Promise<void> {
    try {
      await this.runner.run(renderDropSchema(ref));
    } catch (error) {
      if (error instanceof WarehouseError && error.errorName === 'SCHEMA_NOT_EMPTY') {
        throw new WarehouseError('permanent', 'schema_not_empty', `schema ${ref.schema} still holds tables; drop them first`, { cause: error });
      }
      throw error;
    } finally {
      // Created again by the next write to this tenant, if any.
      this.knownSchemas.delete(ref.schema);
    }
  }

  private async presentMatch(ref: TableRef, match: HashMatch): Promise<HashMatch | null> {
    checkedHashes(match.hashes);
    const columns = await this.describeTable(ref);
    return columns === null ? null : presentMatch(match, columns);
  }

  private async hasReceivedAt(ref: TableRef): Promise<boolean> {
    return (await this.describeTable(ref))?.has(METADATA_COLUMNS.receivedAt) ?? false;
  }

  private async formatVersion(ref: TableRef): Promise<number | null> {
    const value = (await this.runner.run(renderFormatVersion(ref))).rows[0]?.[0];
    return value === undefined || value === null ? null : Number(value);
  }

  /**
   * A DELETE answers how many rows it removed. On a format-v1 table Trino refuses row-level deletes (it only drops
   * whole files): that is said plainly, and permanently, instead of being retried as a cluster error.
   */
  private async runDelete(ref: TableRef, statement: string): Promise<number> {
    try {
      return Number((await this.runner.run(statement)).rows[0]?.[0] ?? 0);
    } catch (error) {
      if (error instanceof WarehouseError && error.errorName === 'NOT_SUPPORTED' && (await this.formatVersion(ref)) === 1) {
        throw new WarehouseError('permanent', 'iceberg_format_v1', formatV1Problem(ref), { cause: error });
      }
      throw error;
    }
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

function formatV1Problem(ref: TableRef): string {
  return (
    `format v1: Iceberg table ${ref.schema}.${ref.table} cannot delete single rows (format version 1); ` +
    `upgrade it with ALTER TABLE … SET PROPERTIES format_version = 2, then erase again`
  );
}
