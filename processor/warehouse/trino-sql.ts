// Renders plans and rows as Trino SQL. Every identifier is quoted and every value is an escaped literal. Pure.
import type { Cell } from '../schema/column-types.ts';
import type { SchemaChange } from '../schema/plan-schema-change.ts';
import { carriesProvenance, METADATA_COLUMNS, metadataColumnTypes, metadataKeys, type MetadataKey } from '../schema/physical-name.ts';
import { isWritable, TIMESTAMP_TZ, traitsOf, VARCHAR, type ColumnType } from '../schema/type-table.ts';
import { quoteIdentifier, quoteString } from './sql-quote.ts';
import type { LoadRow, TableRef } from './warehouse.ts';

export function qualifiedName(ref: TableRef): string {
  return `${quoteIdentifier(ref.catalog)}.${quoteIdentifier(ref.schema)}.${quoteIdentifier(ref.table)}`;
}

/** The port's type names are Trino's: a type renders as itself, once the type table says Boitatá writes it. */
export function renderType(type: ColumnType): string {
  if (!isWritable(type)) throw new Error(`refusing to render unexpected column type ${JSON.stringify(type)}`);
  return type;
}

/**
 * A cell as a JSON value inside the batch document (see renderSource): its canonical text, checked against its
 * type's pattern first, as a JSON string or as a JSON literal (numbers, booleans), as the type table says.
 */
export function jsonValue(cell: Cell): string {
  if (cell === null) return 'null';
  const traits = traitsOf(cell.type);
  if (traits === null) throw new Error(`refusing to render a value of column type ${JSON.stringify(cell.type)}`);
  const text = traits.text === null ? cell.text : assertPattern(cell.text, traits.text);
  return traits.json === 'string' ? JSON.stringify(text) : text;
}

function assertPattern(text: string, pattern: RegExp): string {
  if (!pattern.test(text)) throw new Error(`refusing to render ${JSON.stringify(text)} as a ${pattern.source} value`);
  return text;
}

export function renderCreateSchema(catalog: string, schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(catalog)}.${quoteIdentifier(schema)}`;
}

/**
 * A new table holds the metadata columns plus the first batch's columns, partitioned by the day a row was received
 * (Iceberg hidden partitioning): a retention delete on a day boundary drops whole files, and reads by arrival prune.
 * Tables created before keep their (absent) partitioning.
 */
export function renderCreateTable(ref: TableRef, columns: ReadonlyArray<{ physical: string; type: ColumnType }>, provenance = true): string {
  const definitions = [...metadataColumnTypes(provenance).map(([name, type]) => ({ physical: name, type })), ...columns]
    .map((column) => `${quoteIdentifier(column.physical)} ${renderType(column.type)}`)
    .join(', ');
  const partitioning = quoteString(`day(${quoteIdentifier(METADATA_COLUMNS.receivedAt)})`);
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(ref)} (${definitions}) WITH (format = 'PARQUET', partitioning = ARRAY[${partitioning}])`;
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

/**
 * How a column's values travel in the JSON document: the ROW field type, and how the SELECT turns it into the
 * column type. A type without a JSON literal (date, timestamp) travels as a string and is cast; a type Boitatá
 * never writes (an adopted table's array, map or row column) does not travel: null, left out of writes.
 */
function transport(type: ColumnType): { field: ColumnType; select: (ref: string) => string } | null {
  if (!isWritable(type)) return null;
  if (traitsOf(type)?.json === 'string' && type !== VARCHAR) return { field: VARCHAR, select: (ref) => `CAST(${ref} AS ${renderType(type)})` };
  return { field: type, select: (ref) => ref };
}

/** The data columns a set of rows fills, in a stable order. */
export function writeColumns(rows: readonly LoadRow[]): string[] {
  const data = new Set<string>();
  for (const row of rows) for (const physical of row.cells.keys()) data.add(physical);
  return [...data].sort();
}

/**
 * The rows as a relation, for INSERT ... SELECT and MERGE ... USING. Every value travels inside ONE string
 * literal: a JSON document parsed by Trino at run time (json_parse → CAST AS ARRAY(ROW(...)) → UNNEST). The
 * planner sees a single literal instead of thousands of VALUES expressions, which is what makes large batches
 * cheap; and since the whole payload is one escaped string, no payload text ever reaches the SQL grammar.
 */
function renderSource(columns: ReadonlyArray<readonly [string, ColumnType]>, documents: readonly string[]): string {
  const carried = columns.map(([name, type]) => ({ name, type, transport: transport(type) })).filter((c) => c.transport !== null);
  const fields = carried.map((c) => renderType(c.transport!.field)).join(', ');
  const aliases = carried.map((_, i) => `c${i}`);
  const select = carried.map((c, i) => `${c.transport!.select(`r.${aliases[i]}`)} AS ${quoteIdentifier(c.name)}`).join(', ');
  const json = quoteString(`[${documents.join(',')}]`);
  return `SELECT ${select} FROM UNNEST(CAST(json_parse(${json}) AS ARRAY(ROW(${fields})))) AS r(${aliases.join(', ')})`;
}

/** One row as a JSON array: the metadata in METADATA_COLUMN_TYPES order, then the data columns (those without a transport skipped). */
function rowDocument(row: LoadRow, dataColumns: ReadonlyArray<readonly [string, ColumnType]>, provenance: boolean): string {
  const metadata: Record<MetadataKey, string> = {
    messageId: JSON.stringify(row.messageId),
    rowId: String(row.rowId),
    receivedAt: JSON.stringify(row.receivedAt),
    tenantId: JSON.stringify(row.tenantId),
    endpoint: JSON.stringify(row.endpoint),
    sequence: assertPattern(row.sequence, /^\d+$/),
    rescue: row.rescue === null ? 'null' : JSON.stringify(row.rescue),
    credential: JSON.stringify(row.credential),
    sourceId: row.sourceId === null ? 'null' : JSON.stringify(row.sourceId),
    provider: jsonText(row.provenance?.provider),
    deliveryId: jsonText(row.provenance?.deliveryId),
    eventType: jsonText(row.provenance?.eventType),
    providerTimestamp: jsonValue(nullableCell(TIMESTAMP_TZ, row.provenance?.providerTimestamp)),
    shopDomain: jsonText(row.provenance?.shopDomain),
    hookId: jsonText(row.provenance?.hookId),
  };
  const values = metadataKeys(provenance).map((key) => metadata[key]);
  for (const [physical, type] of dataColumns) {
    if (transport(type) !== null) values.push(jsonValue(row.cells.get(physical) ?? null));
  }
  return `[${values.join(',')}]`;
}

function jsonText(text: string | null | undefined): string {
  return text === null || text === undefined ? 'null' : JSON.stringify(text);
}

/** A metadata value as a cell, so jsonValue checks its text like a payload value's. */
function nullableCell(type: ColumnType, text: string | null | undefined): Cell {
  return text === null || text === undefined ? null : { type, text };
}

function typedColumns(names: readonly string[], types: ReadonlyMap<string, ColumnType>): Array<readonly [string, ColumnType]> {
  return names.map((name) => [name, types.get(name) ?? VARCHAR] as const);
}

/**
 * INSERT statements for the rows, each under `maxLength` characters (Trino's query.max-length): as few
 * statements as fit, and so as few Iceberg commits as possible.
 */
export function renderInserts(
  ref: TableRef,
  rows: readonly LoadRow[],
  types: ReadonlyMap<string, ColumnType>,
  maxLength: number,
  withProvenance?: boolean,
): string[] {
  const data = typedColumns(writeColumns(rows), types).filter(([, type]) => transport(type) !== null);
  // Provenance columns when the table has them, by default when a row has provenance (the loader makes sure then).
  const provenance = withProvenance ?? carriesProvenance(rows);
  const columns = [...metadataColumnTypes(provenance), ...data];
  const head = `INSERT INTO ${qualifiedName(ref)} (${columns.map(([name]) => quoteIdentifier(name)).join(', ')}) `;
  const render = (documents: string[]) => head + renderSource(columns, documents);
  return chunk(
    rows.map((row) => rowDocument(row, data, provenance)),
    maxLength - render([]).length - 16,
    render,
  );
}

/**
 * MERGE on the item key: rows with the same key upsert one item. Within the batch the caller keeps the
 * last write per key; across batches `_boitata_sequence` (the queue order) stops an older message that is
 * delivered again (or re-driven) from overwriting a newer one. An update replaces the item with the latest version.
 */
export function renderMerges(
  ref: TableRef,
  keyColumn: string,
  rows: readonly LoadRow[],
  tableColumns: ReadonlyMap<string, ColumnType>,
  maxLength: number,
  withProvenance?: boolean,
): string[] {
  const key = quoteIdentifier(keyColumn);
  const seq = quoteIdentifier(METADATA_COLUMNS.sequence);
  return renderWholeRowMerges(ref, `t.${key} = s.${key}`, ` AND t.${seq} <= s.${seq}`, rows, tableColumns, maxLength, withProvenance);
}

/**
 * MERGE on the row's identity (message id, row id): a re-driven row replaces its earlier version whatever its
 * sequence (it is the same message), a row that never landed is added. No duplicate, however often it runs.
 */
export function renderReplaces(
  ref: TableRef,
  rows: readonly LoadRow[],
  tableColumns: ReadonlyMap<string, ColumnType>,
  maxLength: number,
  withProvenance?: boolean,
): string[] {
  const [message, row] = [quoteIdentifier(METADATA_COLUMNS.messageId), quoteIdentifier(METADATA_COLUMNS.rowId)];
  return renderWholeRowMerges(ref, `t.${message} = s.${message} AND t.${row} = s.${row}`, '', rows, tableColumns, maxLength, withProvenance);
}

/**
 * The MERGE both writes share: a match is updated with EVERY column (a column the new version does not fill becomes
 * NULL), a miss is inserted. `matchedAlso`: what an update needs besides the match (` AND …`, or '').
 */
function renderWholeRowMerges(
  ref: TableRef,
  on: string,
  matchedAlso: string,
  rows: readonly LoadRow[],
  tableColumns: ReadonlyMap<string, ColumnType>,
  maxLength: number,
  withProvenance?: boolean,
): string[] {
  // Columns of a type Boitatá never writes (an adopted table's row or map columns) are left as they are.
  const data = typedColumns([...tableColumns.keys()].filter((name) => transport(tableColumns.get(name)!) !== null).sort(), tableColumns);
  const provenance = withProvenance ?? carriesProvenance(rows);
  const columns = [...metadataColumnTypes(provenance), ...data];
  const q = columns.map(([name]) => quoteIdentifier(name));
  const tail =
    ` ON ${on} ` +
    `WHEN MATCHED${matchedAlso} THEN UPDATE SET ${q.map((c) => `${c} = s.${c}`).join(', ')} ` +
    `WHEN NOT MATCHED THEN INSERT (${q.join(', ')}) VALUES (${q.map((c) => `s.${c}`).join(', ')})`;
  const head = `MERGE INTO ${qualifiedName(ref)} t USING (`;
  const render = (documents: string[]) => `${head}${renderSource(columns, documents)}) s${tail}`;
  return chunk(
    rows.map((row) => rowDocument(row, data, provenance)),
    maxLength - render([]).length - 16,
    render,
  );
}

// Groups row documents so that each statement's payload literal (quotes doubled) stays under the budget.
function chunk(documents: readonly string[], budget: number, render: (documents: string[]) => string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const document of documents) {
    const size = document.length + (document.match(/'/g)?.length ?? 0) + 1;
    if (current.length > 0 && length + size > budget) {
      statements.push(render(current));
      current = [];
      length = 0;
    }
    current.push(document);
    length += size;
  }
  if (current.length > 0) statements.push(render(current));
  return statements;
}
