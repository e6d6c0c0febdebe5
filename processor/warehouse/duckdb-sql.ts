// Renders plans and statements as DuckDB SQL, and maps DuckDB types to the port's (Trino) vocabulary. Pure.
// Identifiers are quoted; row values never appear here: they travel through a staging table (duckdb-values.ts).
import type { SchemaChange } from '../schema/plan-schema-change.ts';
import { METADATA_COLUMNS, metadataColumnTypes } from '../schema/physical-name.ts';
import { columnType, isWritable, parseDecimal, traitsOf, TYPE_TABLE, type ColumnType, type NamedType } from '../schema/type-table.ts';
import { quoteIdentifier, quoteString } from './sql-quote.ts';
import type { TableRef } from './warehouse.ts';

/** The temporary table a write's rows are appended to before one INSERT ... SELECT or MERGE moves them. */
export const STAGING_TABLE = 'boitata_staging';

/**
 * Schema and table only: the catalog is whichever file the instance opened (DuckDB names it after the file),
 * so the ref's catalog is informative and never rendered.
 */
export function qualifiedName(ref: TableRef): string {
  return `${quoteIdentifier(ref.schema)}.${quoteIdentifier(ref.table)}`;
}

/** The port types Boitatá writes, spelled as the type table's DuckDB column says; anything else is refused, as in trino-sql.ts. */
export function renderType(type: ColumnType): string {
  const traits = traitsOf(type);
  if (traits === null || !isWritable(type)) throw new Error(`refusing to render unexpected column type ${JSON.stringify(type)}`);
  const decimal = parseDecimal(type);
  return decimal === null ? traits.duckdb : `${traits.duckdb}(${decimal.precision},${decimal.scale})`;
}

// DuckDB's catalog names (information_schema.columns.data_type, upper case) → the port's.
const PORT_TYPES: ReadonlyMap<string, NamedType> = new Map(
  Object.entries(TYPE_TABLE).flatMap(([name, traits]) => [traits.duckdb, ...(traits.duckdbAlso ?? [])].map((duckdb) => [duckdb, name as NamedType] as const)),
);

/** A DuckDB type name (information_schema.columns.data_type) in the vocabulary the rest of the code uses. */
export function portType(duckdbType: string): ColumnType {
  const known = PORT_TYPES.get(duckdbType.toUpperCase());
  if (known !== undefined) return known;
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/i.exec(duckdbType);
  if (decimal !== null) return columnType(`decimal(${decimal[1]},${decimal[2]})`);
  return columnType(duckdbType.toLowerCase());
}

export function renderCreateSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`;
}

/** A new table holds the metadata columns plus the first batch's columns. */
export function renderCreateTable(ref: TableRef, columns: ReadonlyArray<{ physical: string; type: ColumnType }>, provenance = true): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(ref)} (${renderDefinitions(withMetadata(columns, provenance))})`;
}

export function renderSchemaChange(ref: TableRef, change: SchemaChange): string {
  switch (change.kind) {
    case 'add_column':
      return renderAddColumn(ref, change.physical, change.type);
    case 'widen_column':
      return `ALTER TABLE ${qualifiedName(ref)} ALTER COLUMN ${quoteIdentifier(change.physical)} SET DATA TYPE ${renderType(change.to)}`;
  }
}

export function renderAddColumn(ref: TableRef, physical: string, type: ColumnType): string {
  return `ALTER TABLE ${qualifiedName(ref)} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(physical)} ${renderType(type)}`;
}

/** Parameters: $1 schema, $2 table. */
export const DESCRIBE_SQL =
  'SELECT column_name, data_type FROM information_schema.columns ' +
  'WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2 ORDER BY ordinal_position';

/** Parameter: $1 the message ids, as a VARCHAR list. */
export function renderLandedRows(ref: TableRef): string {
  const messageId = quoteIdentifier(METADATA_COLUMNS.messageId);
  return `SELECT ${messageId}, ${quoteIdentifier(METADATA_COLUMNS.rowId)} FROM ${qualifiedName(ref)} WHERE ${messageId} IN (SELECT unnest($1))`;
}

/** COMMENT ON takes no parameters in DuckDB: the comment is an escaped literal (it is catalog text, not row data). */
export function renderCommentColumn(ref: TableRef, physical: string, comment: string): string {
  return `COMMENT ON COLUMN ${qualifiedName(ref)}.${quoteIdentifier(physical)} IS ${quoteString(comment)}`;
}

/** Parameter: $1 the limit. */
export function renderUnhashedValues(ref: TableRef, physical: string): string {
  const column = quoteIdentifier(physical);
  return `SELECT DISTINCT ${column} FROM ${qualifiedName(ref)} WHERE ${column} IS NOT NULL AND NOT regexp_matches(${column}, '^[0-9a-f]{64}$') LIMIT $1`;
}

/** Parameters: $1 the old values, $2 the new ones (VARCHAR lists of the same length, zipped by unnest). */
export function renderReplaceValues(ref: TableRef, physical: string): string {
  const column = quoteIdentifier(physical);
  return (
    `UPDATE ${qualifiedName(ref)} AS t SET ${column} = m.replacement ` +
    `FROM (SELECT unnest($1) AS original, unnest($2) AS replacement) AS m WHERE t.${column} = m.original`
  );
}

export function renderStagingTable(columns: ReadonlyArray<readonly [string, ColumnType]>): string {
  return `CREATE OR REPLACE TEMP TABLE ${quoteIdentifier(STAGING_TABLE)} (${renderDefinitions(columns.map(([physical, type]) => ({ physical, type })))})`;
}

export function renderDropStaging(): string {
  return `DROP TABLE IF EXISTS temp.main.${quoteIdentifier(STAGING_TABLE)}`;
}

export function renderInsertFromStaging(ref: TableRef, columns: ReadonlyArray<readonly [string, ColumnType]>): string {
  const names = columns.map(([name]) => quoteIdentifier(name)).join(', ');
  return `INSERT INTO ${qualifiedName(ref)} (${names}) SELECT ${names} FROM temp.main.${quoteIdentifier(STAGING_TABLE)}`;
}

/**
 * The same upsert as trino-sql.ts's renderMerges: an item is updated only by a version at least as recent
 * (`_boitata_sequence`, the queue order), so an older message delivered again (or re-driven) never overwrites a newer one.
 */
export function renderMergeFromStaging(ref: TableRef, keyColumn: string, columns: ReadonlyArray<readonly [string, ColumnType]>): string {
  const q = columns.map(([name]) => quoteIdentifier(name));
  const seq = quoteIdentifier(METADATA_COLUMNS.sequence);
  const key = quoteIdentifier(keyColumn);
  return (
    `MERGE INTO ${qualifiedName(ref)} AS t USING temp.main.${quoteIdentifier(STAGING_TABLE)} AS s ON t.${key} = s.${key} ` +
    `WHEN MATCHED AND t.${seq} <= s.${seq} THEN UPDATE SET ${q.map((c) => `${c} = s.${c}`).join(', ')} ` +
    `WHEN NOT MATCHED THEN INSERT (${q.join(', ')}) VALUES (${q.map((c) => `s.${c}`).join(', ')})`
  );
}

/**
 * A re-drive's first step (the insert from staging is the second, in the same transaction): the earlier versions of
 * the staged rows go, found by their identity (message id, row id), whatever their sequence — it is the same message.
 */
export function renderDeleteStagedRows(ref: TableRef): string {
  const [message, row] = [quoteIdentifier(METADATA_COLUMNS.messageId), quoteIdentifier(METADATA_COLUMNS.rowId)];
  return (
    `DELETE FROM ${qualifiedName(ref)} AS t USING temp.main.${quoteIdentifier(STAGING_TABLE)} AS s ` +
    `WHERE t.${message} = s.${message} AND t.${row} = s.${row}`
  );
}

function withMetadata(columns: ReadonlyArray<{ physical: string; type: ColumnType }>, provenance: boolean): Array<{ physical: string; type: ColumnType }> {
  return [...metadataColumnTypes(provenance).map(([physical, type]) => ({ physical, type })), ...columns];
}

function renderDefinitions(columns: ReadonlyArray<{ physical: string; type: ColumnType }>): string {
  return columns.map((column) => `${quoteIdentifier(column.physical)} ${renderType(column.type)}`).join(', ');
}
