// Detects which of the push payload formats a body uses and splits it into (table, rows) pairs. Pure.
import { BoitataError, formatPath, type Problem } from './errors.ts';
import { assertRowCaps, assertTableCount } from './message-caps.ts';
import { isValidTableName, TABLE_NAME_RULE } from './table-name.ts';

export type JsonObject = { [key: string]: unknown };

export type PayloadFormat = 'array' | 'envelope' | 'multi_table' | 'object';

export interface TableRows {
  table: string;
  rows: JsonObject[];
}

export interface DetectedPayload {
  format: PayloadFormat;
  tables: TableRows[];
}

/**
 * How a push body is read (the README documents the same rules):
 * 1. A JSON array is a flat array of rows; the table comes from `?table=` or `x-target-table`.
 * 2. An object with a `rows` array is an envelope; the table is its `table` field or the explicit table.
 *    An envelope may hold only `table` and `rows`.
 * 3. Otherwise, with an explicit table, the object is one row of that table.
 * 4. Otherwise, an object whose every value is an array of objects is a multi-table payload.
 * 5. Otherwise, the connection's default table (if it has one) stands in for the explicit table.
 * Anything else is refused with a 400 that says which rule it missed. The message caps (rows, tables, fields per
 * row, no empty row: shared/message-caps.ts) apply to every format.
 */
export function detectPushPayload(body: unknown, explicitTable: string | undefined, defaultTable?: string): DetectedPayload {
  if (explicitTable !== undefined) assertTableName(explicitTable, 'table');

  if (Array.isArray(body)) {
    const table = explicitTable ?? defaultTable;
    if (table === undefined) {
      throw new BoitataError(
        'ambiguous_payload',
        'A flat array of rows needs a target table: add ?table=NAME or the x-target-table header, or send an envelope {"table": NAME, "rows": [...]}.',
      );
    }
    const rows = readRows(body, []);
    assertRowCaps([{ rows, path: [] }]);
    return { format: 'array', tables: [{ table, rows }] };
  }

  if (!isJsonObject(body)) {
    throw new BoitataError('invalid_payload', 'The body must be a JSON object or an array of objects.', {
      problems: [{ path: '$', message: `expected an object or an array, got ${describeType(body)}` }],
    });
  }

  if (Object.keys(body).length === 0) {
    throw new BoitataError('empty_payload', 'The body is an empty object: there are no rows to ingest.', {
      problems: [{ path: '$', message: 'the object has no fields' }],
    });
  }

  if (Object.hasOwn(body, 'rows') && Array.isArray(body['rows'])) {
    const envelope = readEnvelope(body, explicitTable, defaultTable);
    assertRowCaps([{ rows: envelope.rows, path: ['rows'] }]);
    return { format: 'envelope', tables: [envelope] };
  }

  if (explicitTable !== undefined) {
    assertRowCaps([{ rows: [body], path: null }]);
    return { format: 'object', tables: [{ table: explicitTable, rows: [body] }] };
  }

  const entries = Object.entries(body);
  if (entries.every(([, value]) => Array.isArray(value))) {
    assertTableCount(entries.length);
    const tables = readMultiTable(entries as Array<[string, unknown[]]>);
    assertRowCaps(tables.map(({ table, rows }) => ({ rows, path: [table] })));
    return { format: 'multi_table', tables };
  }
  if (defaultTable !== undefined) {
    assertRowCaps([{ rows: [body], path: null }]);
    return { format: 'object', tables: [{ table: defaultTable, rows: [body] }] };
  }

  throw new BoitataError(
    'ambiguous_payload',
    'Cannot tell which table this object belongs to: it is not an envelope ({"table", "rows"}), not a multi-table object (every value an array of rows), and no table was given with ?table= or x-target-table.',
  );
}

function readEnvelope(body: JsonObject, explicitTable: string | undefined, defaultTable: string | undefined): TableRows {
  const extra = Object.keys(body).filter((key) => key !== 'table' && key !== 'rows');
  if (extra.length > 0) {
    throw new BoitataError('ambiguous_payload', 'An envelope holds only "table" and "rows".', {
      problems: extra.map((key) => ({ path: formatPath([key]), message: 'unexpected field beside "rows"' })),
    });
  }
  const bodyTable = body['table'];
  if (bodyTable !== undefined && typeof bodyTable !== 'string') {
    throw new BoitataError('invalid_payload', 'The envelope table must be a string.', {
      problems: [{ path: 'table', message: `expected a string, got ${describeType(bodyTable)}` }],
    });
  }
  if (bodyTable !== undefined && explicitTable !== undefined && bodyTable !== explicitTable) {
    throw new BoitataError(
      'ambiguous_payload',
      `The envelope names table "${bodyTable}" but the request names "${explicitTable}": send one of them, or the same.`,
    );
  }
  const table = bodyTable ?? explicitTable ?? defaultTable;
  if (table === undefined) {
    throw new BoitataError('ambiguous_payload', 'The envelope has no "table": add it, or pass ?table=NAME.', {
      problems: [{ path: 'table', message: 'required' }],
    });
  }
  assertTableName(table, 'table');
  return { table, rows: readRows(body['rows'] as unknown[], ['rows']) };
}

function readMultiTable(entries: Array<[string, unknown[]]>): TableRows[] {
  const problems: Problem[] = [];
  for (const [table] of entries) {
    if (!isValidTableName(table)) problems.push({ path: formatPath([table]), message: TABLE_NAME_RULE });
  }
  if (problems.length > 0) {
    throw new BoitataError('invalid_payload', 'A multi-table payload is keyed by table names.', { problems });
  }
  return entries.map(([table, rows]) => ({ table, rows: readRows(rows, [table]) }));
}

/** Checks that `rows` is a non-empty array of objects; `path` locates it in the body. */
export function readRows(rows: unknown[], path: PropertyKey[]): JsonObject[] {
  if (rows.length === 0) {
    throw new BoitataError('empty_payload', 'There are no rows to ingest.', {
      problems: [{ path: formatPath(path), message: 'the array is empty' }],
    });
  }
  const problems: Problem[] = [];
  rows.forEach((row, index) => {
    if (!isJsonObject(row)) {
      problems.push({ path: formatPath([...path, index]), message: `a row must be an object, got ${describeType(row)}` });
    }
  });
  if (problems.length > 0) {
    throw new BoitataError('invalid_payload', 'Every row must be a JSON object.', { problems: problems.slice(0, 20) });
  }
  return rows as JsonObject[];
}

export function assertTableName(table: string, path: string): void {
  if (!isValidTableName(table)) {
    throw new BoitataError('invalid_payload', `Invalid table name ${JSON.stringify(table)}.`, {
      problems: [{ path, message: TABLE_NAME_RULE }],
    });
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
