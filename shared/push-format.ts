// Detects which of the push payload formats a body uses and splits it into (table, rows) pairs. Pure. Each shape is
// checked with its zod contract (shared/contracts/push-body.ts); this file decides which shape a body is, and turns
// the contract's issues into the refusal a sender reads.
import type { z } from 'zod';
import { envelopeSchema, multiTableSchema, rowsSchema, tableNameSchema } from './contracts/push-body.ts';
import { describeType, isJsonObject, type JsonObject } from './contracts/json-value.ts';
import { BoitataError, formatPath } from './errors.ts';
import { assertRowCaps, assertTableCount } from './message-caps.ts';
import { isReservedTableName, RESERVED_TABLE_NAME_RULE, TABLE_NAME_RULE } from './table-name.ts';

export { describeType, isJsonObject, type JsonObject } from './contracts/json-value.ts';

export type PayloadFormat = 'array' | 'envelope' | 'multi_table' | 'object';

export interface TableRows {
  table: string;
  rows: JsonObject[];
}

export interface DetectedPayload {
  format: PayloadFormat;
  tables: TableRows[];
}

type Issue = z.core.$ZodIssue;

const MAX_REPORTED_PROBLEMS = 20;

/**
 * How a push body is read — PUSH_FORMAT_RULES (shared/contracts/push-body.ts) says the same in the OpenAPI document:
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
    const tables = readMultiTable(body, entries as Array<[string, JsonObject[]]>);
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

/** The envelope checked with envelopeSchema; its issues are told in the order a sender fixes them. */
function readEnvelope(body: JsonObject, explicitTable: string | undefined, defaultTable: string | undefined): TableRows {
  const issues = issuesOf(envelopeSchema, body);
  const extra = issues.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys : []));
  if (extra.length > 0) {
    throw new BoitataError('ambiguous_payload', 'An envelope holds only "table" and "rows".', {
      problems: extra.map((key) => ({ path: formatPath([key]), message: 'unexpected field beside "rows"' })),
    });
  }
  const bodyTable = body['table'];
  if (issues.some((issue) => issue.path[0] === 'table' && issue.code === 'invalid_type')) {
    throw new BoitataError('invalid_payload', 'The envelope table must be a string.', {
      problems: [{ path: 'table', message: `expected a string, got ${describeType(bodyTable)}` }],
    });
  }
  if (typeof bodyTable === 'string' && explicitTable !== undefined && bodyTable !== explicitTable) {
    throw new BoitataError(
      'ambiguous_payload',
      `The envelope names table "${bodyTable}" but the request names "${explicitTable}": send one of them, or the same.`,
    );
  }
  const table = (bodyTable as string | undefined) ?? explicitTable ?? defaultTable;
  if (table === undefined) {
    throw new BoitataError('ambiguous_payload', 'The envelope has no "table": add it, or pass ?table=NAME.', {
      problems: [{ path: 'table', message: 'required' }],
    });
  }
  assertTableName(table, 'table');
  assertRows(issues.filter((issue) => issue.path[0] === 'rows'));
  return { table, rows: body['rows'] as JsonObject[] };
}

/** The multi-table object checked with multiTableSchema: its keys first, then each table's rows in order. */
function readMultiTable(body: JsonObject, entries: Array<[string, JsonObject[]]>): TableRows[] {
  const issues = issuesOf(multiTableSchema, body);
  const badKeys = issues.filter((issue) => issue.code === 'invalid_key');
  if (badKeys.length > 0) {
    throw new BoitataError('invalid_payload', 'A multi-table payload is keyed by table names.', {
      problems: badKeys.map((issue) => ({
        path: formatPath(issue.path),
        message: isReservedTableName(String(issue.path[0] ?? '')) ? RESERVED_TABLE_NAME_RULE : TABLE_NAME_RULE,
      })),
    });
  }
  for (const [table] of entries) assertRows(issues.filter((issue) => issue.path[0] === table));
  return entries.map(([table, rows]) => ({ table, rows }));
}

/** Checks that `rows` is a non-empty array of objects (rowsSchema); `path` locates it in the body. */
export function readRows(rows: unknown[], path: PropertyKey[]): JsonObject[] {
  assertRows(issuesOf(rowsSchema, rows), path);
  return rows as JsonObject[];
}

/**
 * Refuses rows with rowsSchema's issues: an empty array, then each row that is not an object. Too many rows is the
 * message caps' to tell (shared/message-caps.ts), with their own code. `prefix` locates the issues' paths in the body.
 */
function assertRows(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): void {
  const empty = issues.find((issue) => issue.code === 'too_small');
  if (empty !== undefined) {
    throw new BoitataError('empty_payload', 'There are no rows to ingest.', {
      problems: [{ path: formatPath([...prefix, ...empty.path]), message: empty.message }],
    });
  }
  const notObjects = issues.filter((issue) => issue.code === 'invalid_type');
  if (notObjects.length > 0) {
    throw new BoitataError('invalid_payload', 'Every row must be a JSON object.', {
      problems: notObjects.slice(0, MAX_REPORTED_PROBLEMS).map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message })),
    });
  }
}

export function assertTableName(table: string, path: string): void {
  if (!tableNameSchema.safeParse(table).success) {
    throw new BoitataError('invalid_payload', `Invalid table name ${JSON.stringify(table)}.`, {
      problems: [{ path, message: isReservedTableName(table) ? RESERVED_TABLE_NAME_RULE : TABLE_NAME_RULE }],
    });
  }
}

function issuesOf(schema: z.ZodType, value: unknown): readonly Issue[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues;
}
