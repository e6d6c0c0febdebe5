// The caps one message must respect before it is stored: rows, tables, leaf fields per row, and no empty row. Pure.
import { BoitataError, formatPath, type Problem } from './errors.ts';
import { MAX_FIELDS_PER_ROW, MAX_ROWS_PER_MESSAGE, MAX_TABLES_PER_MESSAGE } from './ingest-limits.ts';

const MAX_REPORTED_PROBLEMS = 20;

type JsonObject = { [key: string]: unknown };

/** Rows as they sit in the body: `path` locates their array, or is null when the body itself is the one row. */
export interface LocatedRows {
  rows: readonly unknown[];
  path: readonly PropertyKey[] | null;
}

/** 400 `too_many_tables` past MAX_TABLES_PER_MESSAGE tables in one multi-table push. */
export function assertTableCount(count: number): void {
  if (count > MAX_TABLES_PER_MESSAGE) {
    throw new BoitataError(
      'too_many_tables',
      `A multi-table push names at most ${MAX_TABLES_PER_MESSAGE} tables; this one names ${count}. Split it into several requests.`,
      { problems: [{ path: '$', message: `${count} tables (limit ${MAX_TABLES_PER_MESSAGE})` }] },
    );
  }
}

/**
 * Every row cap of one message, in this order: `too_many_rows` (all tables counted together), then
 * `too_many_fields` and `empty_payload` per row. Values that are not objects are left to the endpoint's contract.
 */
export function assertRowCaps(located: readonly LocatedRows[]): void {
  const total = located.reduce((sum, entry) => sum + entry.rows.length, 0);
  if (total > MAX_ROWS_PER_MESSAGE) {
    throw new BoitataError(
      'too_many_rows',
      `A message holds at most ${MAX_ROWS_PER_MESSAGE.toLocaleString('en-US')} rows (every table of a multi-table push counted); this one has ${total.toLocaleString('en-US')}. Split it into several requests.`,
      { problems: located.slice(0, MAX_REPORTED_PROBLEMS).map(({ rows, path }) => ({ path: formatPath(path ?? []), message: `${rows.length} rows` })) },
    );
  }

  const wide: Problem[] = [];
  const empty: Problem[] = [];
  for (const { rows, path } of located) {
    rows.forEach((row, index) => {
      if (!isObject(row)) return;
      const fields = countLeafFields(row);
      const rowPath = formatPath(path === null ? [] : [...path, index]);
      if (fields > MAX_FIELDS_PER_ROW) wide.push({ path: rowPath, message: `${fields} fields (limit ${MAX_FIELDS_PER_ROW})` });
      else if (fields === 0) empty.push({ path: rowPath, message: 'the row has no fields' });
    });
  }
  if (wide.length > 0) {
    throw new BoitataError(
      'too_many_fields',
      `A row holds at most ${MAX_FIELDS_PER_ROW.toLocaleString('en-US')} fields once nested objects are flattened (\`a.b\` counts one, an array counts one); ${wide.length === 1 ? 'one row has' : `${wide.length} rows have`} more.`,
      { problems: wide.slice(0, MAX_REPORTED_PROBLEMS) },
    );
  }
  if (empty.length > 0) {
    throw new BoitataError('empty_payload', 'A row with no fields has nothing to ingest: remove it or give it fields.', {
      problems: empty.slice(0, MAX_REPORTED_PROBLEMS),
    });
  }
}

/**
 * The number of columns a row becomes, flattened as the processor does (processor/normalize/flatten-row.ts):
 * a non-empty object is walked with dotted names; every other value, arrays and `{}` included, is one field.
 */
export function countLeafFields(row: JsonObject): number {
  let count = 0;
  const pending: JsonObject[] = [row];
  while (pending.length > 0) {
    const object = pending.pop()!;
    for (const key of Object.keys(object)) {
      const value = object[key];
      if (isObject(value) && hasKeys(value)) pending.push(value);
      else count++;
    }
  }
  return count;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasKeys(object: JsonObject): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}
