// Renders plans and rows as Trino SQL. Every identifier is quoted and every value is an escaped literal. Pure.
import { TIMESTAMP_TZ, type Cell, type ColumnType } from '../schema/column-types.ts';
import type { SchemaChange } from '../schema/plan-schema-change.ts';
import { METADATA_COLUMN_TYPES, METADATA_COLUMNS } from '../schema/physical-name.ts';
import type { LoadRow, TableRef } from './warehouse.ts';

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function qualifiedName(ref: TableRef): string {
  return `${quoteIdentifier(ref.catalog)}.${quoteIdentifier(ref.schema)}.${quoteIdentifier(ref.table)}`;
}

/** Column types come from our own inference or from the warehouse's own DESCRIBE: a closed grammar. */
function renderType(type: ColumnType): string {
  if (!/^[a-z][a-z0-9 (),]*$/.test(type)) throw new Error(`refusing to render unexpected column type ${JSON.stringify(type)}`);
  return type;
}

export function renderCell(cell: Cell): string {
  if (cell === null) return 'NULL';
  switch (cell.type) {
    case 'varchar':
      return quoteString(cell.text);
    case 'boolean':
      return cell.text === 'true' ? 'true' : 'false';
    case 'bigint':
    case 'integer':
      return assertPattern(cell.text, /^-?\d+$/);
    case 'double':
    case 'real': {
      const text = assertPattern(cell.text, /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i);
      const literal = /e/i.test(text) ? text : `${text}e0`; // an exponent makes it a DOUBLE literal, not a DECIMAL
      return cell.type === 'real' ? `REAL '${literal}'` : literal;
    }
    case 'date':
      return `DATE '${assertPattern(cell.text, /^\d{4}-\d{2}-\d{2}$/)}'`;
    case TIMESTAMP_TZ:
      return `TIMESTAMP '${assertPattern(cell.text, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} [+-]\d{2}:\d{2}$/)}'`;
    default:
      return `CAST(DOUBLE '${assertPattern(cell.text, /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i)}' AS ${renderType(cell.type)})`;
  }
}

function assertPattern(text: string, pattern: RegExp): string {
  if (!pattern.test(text)) throw new Error(`refusing to render ${JSON.stringify(text)} as a literal`);
  return text;
}

export function renderCreateSchema(catalog: string, schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(catalog)}.${quoteIdentifier(schema)}`;
}

/** A new table holds the metadata columns plus the first batch's columns. */
export function renderCreateTable(ref: TableRef, columns: ReadonlyArray<{ physical: string; type: ColumnType }>): string {
  const definitions = [...METADATA_COLUMN_TYPES.map(([name, type]) => ({ physical: name, type })), ...columns]
    .map((column) => `${quoteIdentifier(column.physical)} ${renderType(column.type)}`)
    .join(', ');
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(ref)} (${definitions}) WITH (format = 'PARQUET')`;
}

export function renderSchemaChange(ref: TableRef, change: SchemaChange): string {
  switch (change.kind) {
    case 'add_column':
      return `ALTER TABLE ${qualifiedName(ref)} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(change.physical)} ${renderType(change.type)}`;
    case 'widen_column':
      return `ALTER TABLE ${qualifiedName(ref)} ALTER COLUMN ${quoteIdentifier(change.physical)} SET DATA TYPE ${renderType(change.to)}`;
  }
}

export function renderAddColumn(ref: TableRef, physical: string, type: ColumnType): string {
  return `ALTER TABLE ${qualifiedName(ref)} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(physical)} ${renderType(type)}`;
}

export function renderDescribe(ref: TableRef): string {
  return (
    `SELECT column_name, data_type FROM ${quoteIdentifier(ref.catalog)}.information_schema.columns ` +
    `WHERE table_schema = ${quoteString(ref.schema)} AND table_name = ${quoteString(ref.table)} ORDER BY ordinal_position`
  );
}

/** Which (message, row) pairs of these messages are already in the table: the check before a re-delivered message is written again. */
export function renderLandedRows(ref: TableRef, messageIds: readonly string[]): string {
  return (
    `SELECT ${quoteIdentifier(METADATA_COLUMNS.messageId)}, ${quoteIdentifier(METADATA_COLUMNS.rowId)} FROM ${qualifiedName(ref)} ` +
    `WHERE ${quoteIdentifier(METADATA_COLUMNS.messageId)} IN (${messageIds.map(quoteString).join(', ')})`
  );
}

const META_ORDER = [
  METADATA_COLUMNS.messageId, METADATA_COLUMNS.rowId, METADATA_COLUMNS.receivedAt, METADATA_COLUMNS.tenantId,
  METADATA_COLUMNS.endpoint, METADATA_COLUMNS.sequence, METADATA_COLUMNS.rescue,
];

/** The column list of a write: metadata first, then every data column any of the rows fills. */
export function writeColumns(rows: readonly LoadRow[]): string[] {
  const data = new Set<string>();
  for (const row of rows) for (const physical of row.cells.keys()) data.add(physical);
  return [...META_ORDER, ...[...data].sort()];
}

/** One VALUES tuple; `types` makes NULLs typed (MERGE needs that, INSERT does not mind). */
export function renderRow(row: LoadRow, dataColumns: readonly string[], types?: ReadonlyMap<string, ColumnType>): string {
  const meta = [
    quoteString(row.messageId),
    String(row.rowId),
    renderCell({ type: TIMESTAMP_TZ, text: row.receivedAt }),
    quoteString(row.tenantId),
    quoteString(row.endpoint),
    assertPattern(row.sequence, /^\d+$/),
    row.rescue === null ? 'CAST(NULL AS varchar)' : quoteString(row.rescue),
  ];
  const data = dataColumns.map((physical) => {
    const cell = row.cells.get(physical) ?? null;
    if (cell === null && types !== undefined) return `CAST(NULL AS ${renderType(types.get(physical) ?? 'varchar')})`;
    return renderCell(cell);
  });
  return `(${[...meta, ...data].join(', ')})`;
}

/**
 * INSERT statements for the rows, each under `maxLength` characters (Trino's query.max-length): as few
 * statements as fit, and so as few Iceberg commits as possible.
 */
export function renderInserts(ref: TableRef, rows: readonly LoadRow[], maxLength: number): string[] {
  const columns = writeColumns(rows);
  const dataColumns = columns.slice(META_ORDER.length);
  const head = `INSERT INTO ${qualifiedName(ref)} (${columns.map(quoteIdentifier).join(', ')}) VALUES `;
  return chunk(head, rows.map((row) => renderRow(row, dataColumns)), '', maxLength);
}

/**
 * MERGE on the item key: rows with the same key upsert one item. Within the batch the caller keeps the
 * last write per key; across batches `_boitata_sequence` (the queue order) stops an older message that is
 * delivered again from overwriting a newer one. An update replaces the item with the latest version.
 */
export function renderMerges(
  ref: TableRef,
  keyColumn: string,
  rows: readonly LoadRow[],
  tableColumns: ReadonlyMap<string, ColumnType>,
  maxLength: number,
): string[] {
  const dataColumns = [...tableColumns.keys()].sort();
  const columns = [...META_ORDER, ...dataColumns];
  const q = columns.map(quoteIdentifier);
  const seq = quoteIdentifier(METADATA_COLUMNS.sequence);
  const key = quoteIdentifier(keyColumn);
  const head = `MERGE INTO ${qualifiedName(ref)} t USING (VALUES `;
  const tail =
    `) AS s (${q.join(', ')}) ON t.${key} = s.${key} ` +
    `WHEN MATCHED AND t.${seq} <= s.${seq} THEN UPDATE SET ${q.map((c) => `${c} = s.${c}`).join(', ')} ` +
    `WHEN NOT MATCHED THEN INSERT (${q.join(', ')}) VALUES (${q.map((c) => `s.${c}`).join(', ')})`;
  return chunk(head, rows.map((row) => renderRow(row, dataColumns, tableColumns)), tail, maxLength);
}

function chunk(head: string, tuples: readonly string[], tail: string, maxLength: number): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  let length = head.length + tail.length;
  for (const tuple of tuples) {
    if (current.length > 0 && length + tuple.length + 2 > maxLength) {
      statements.push(head + current.join(', ') + tail);
      current = [];
      length = head.length + tail.length;
    }
    current.push(tuple);
    length += tuple.length + 2;
  }
  if (current.length > 0) statements.push(head + current.join(', ') + tail);
  return statements;
}
