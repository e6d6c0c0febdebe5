// The per-message caps as a table: rows, tables and fields at their limit pass, one past is refused naming it.
import { describe, expect, it } from 'vitest';
import { BoitataError } from '../../shared/errors.ts';
import { MAX_FIELDS_PER_ROW, MAX_ROWS_PER_MESSAGE, MAX_TABLES_PER_MESSAGE } from '../../shared/ingest-limits.ts';
import { countLeafFields } from '../../shared/message-caps.ts';
import { detectPushPayload } from '../../shared/push-format.ts';

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));
const wideRow = (fields: number) => Object.fromEntries(Array.from({ length: fields }, (_, i) => [`f${i}`, i]));
const tables = (n: number, rowsEach = 1) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, rows(rowsEach)]));

function refusal(body: unknown, explicitTable?: string): { code: string; message: string; paths: string[] } | null {
  try {
    detectPushPayload(body, explicitTable);
    return null;
  } catch (error) {
    if (!(error instanceof BoitataError)) throw error;
    return { code: error.code, message: error.message, paths: error.problems.map((p) => p.path) };
  }
}

describe('countLeafFields flattens as the processor does', () => {
  const cases: Array<[string, Record<string, unknown>, number]> = [
    ['an empty row', {}, 0],
    ['scalars', { a: 1, b: 'x', c: null, d: true }, 4],
    ['nested objects count their leaves', { a: { b: { c: 1, d: 2 } }, e: 3 }, 3],
    ['an array is one field', { tags: [1, 2, 3, { x: 1 }] }, 1],
    ['an empty object is one field', { a: {} }, 1],
    ['dotted keys and nested ones both count', { 'a.b': 1, a: { b: 2 } }, 2],
  ];
  for (const [name, row, count] of cases) it(name, () => expect(countLeafFields(row)).toBe(count));
});

describe('message caps on the push formats', () => {
  it(`accepts exactly ${MAX_ROWS_PER_MESSAGE} rows, ${MAX_TABLES_PER_MESSAGE} tables and ${MAX_FIELDS_PER_ROW} fields`, () => {
    expect(refusal(rows(MAX_ROWS_PER_MESSAGE), 't')).toBeNull();
    expect(refusal({ table: 't', rows: rows(MAX_ROWS_PER_MESSAGE) })).toBeNull();
    expect(refusal(tables(MAX_TABLES_PER_MESSAGE, MAX_ROWS_PER_MESSAGE / MAX_TABLES_PER_MESSAGE))).toBeNull();
    expect(refusal([wideRow(MAX_FIELDS_PER_ROW)], 't')).toBeNull();
    expect(refusal(wideRow(MAX_FIELDS_PER_ROW), 't')).toBeNull();
  });

  const refused: Array<[string, unknown, string | undefined, string, string[]]> = [
    ['10,001 rows in a flat array', rows(MAX_ROWS_PER_MESSAGE + 1), 't', 'too_many_rows', ['$']],
    ['10,001 rows in an envelope', { table: 't', rows: rows(MAX_ROWS_PER_MESSAGE + 1) }, undefined, 'too_many_rows', ['rows']],
    ['10,001 rows across two tables', { a: rows(5_000), b: rows(5_001) }, undefined, 'too_many_rows', ['a', 'b']],
    ['21 tables', tables(MAX_TABLES_PER_MESSAGE + 1), undefined, 'too_many_tables', ['$']],
    ['a row of 1,001 fields', [{ a: 1 }, wideRow(MAX_FIELDS_PER_ROW + 1)], 't', 'too_many_fields', ['[1]']],
    ['1,001 fields once flattened', [{ a: wideRow(500), b: wideRow(501) }], 't', 'too_many_fields', ['[0]']],
    ['a single object of 1,001 fields', wideRow(MAX_FIELDS_PER_ROW + 1), 't', 'too_many_fields', ['$']],
    ['a wide row in a multi-table push', { a: [{ x: 1 }], b: [{ x: 1 }, wideRow(1_001)] }, undefined, 'too_many_fields', ['b[1]']],
    ['[{}]', [{}], 't', 'empty_payload', ['[0]']],
    ['an empty row among others', { table: 't', rows: [{ a: 1 }, {}] }, undefined, 'empty_payload', ['rows[1]']],
    ['an empty row in a multi-table push', { a: [{ x: 1 }], b: [{}] }, undefined, 'empty_payload', ['b[0]']],
    ['{} with an explicit table', {}, 't', 'empty_payload', ['$']],
  ];
  for (const [name, body, explicit, code, paths] of refused) {
    it(`refuses ${name} with ${code}`, () => {
      expect(refusal(body, explicit)).toMatchObject({ code, paths });
    });
  }

  it('names the limit and the count found', () => {
    expect(refusal(rows(12_345), 't')?.message).toMatch(/at most 10,000 rows.*has 12,345/);
    expect(refusal(tables(25))?.message).toMatch(/at most 20 tables; this one names 25/);
    expect(refusal([wideRow(1_234)], 't')?.message).toMatch(/at most 1,000 fields/);
    expect(refusal([wideRow(1_234)], 't')?.paths).toEqual(['[0]']);
  });

  it('a row of {} inside a field is not empty: the field lands as "{}"', () => {
    expect(refusal([{ a: {} }], 't')).toBeNull();
  });
});
