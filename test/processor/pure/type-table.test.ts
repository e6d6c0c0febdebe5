// The type table, read through every function derived from it: parse, widening, unification, alias compatibility,
// and each dialect's rendering (pure).
import { describe, expect, it } from 'vitest';
import { unifyTypes, widenFor } from '../../../processor/schema/column-types.ts';
import {
  canWiden,
  columnType,
  fitsAliasTarget,
  isLegalWidening,
  isWritable,
  traitsOf,
  type ColumnType,
  type InferredType,
} from '../../../processor/schema/type-table.ts';
import { portType, renderType as renderDuckDb } from '../../../processor/warehouse/duckdb-sql.ts';
import { jsonValue, renderType as renderTrino } from '../../../processor/warehouse/trino-sql.ts';

const INFERRED: InferredType[] = ['boolean', 'bigint', 'decimal(38,0)', 'double', 'varchar', 'date', 'timestamp(6) with time zone'];

describe('columnType: a type name read from outside', () => {
  it.each([
    ['boolean', 'boolean', true],
    ['integer', 'number', true],
    ['bigint', 'number', true],
    ['real', 'number', true],
    ['double', 'number', true],
    ['varchar', 'text', true],
    ['date', 'date', true],
    ['timestamp(6) with time zone', 'timestamp', true],
    ['decimal(10,2)', 'number', true],
    ['decimal(10, 2)', 'number', true],
    ['decimal(38,0)', 'number', true],
    ['decimal(39,0)', 'number', false],
    ['decimal(2,5)', 'number', false],
    ['varchar(255)', null, false],
    ['smallint', null, false],
    ['row(a varchar)', null, false],
    ['map(varchar, bigint)', null, false],
    ['array(varchar)', null, false],
    ['timestamp(3)', null, false],
    ['uuid', null, false],
    ['BIGINT', null, false],
    ['constructor', null, false],
  ])('%s: family %s, written %s', (text, family, writable) => {
    const type = columnType(text);
    expect(type).toBe(text); // the text is kept as it is
    expect(traitsOf(type)?.family ?? null).toBe(family);
    expect(isWritable(type)).toBe(writable);
  });
});

describe('widening: (column, incoming, value) → the wider type, or null', () => {
  it.each<[string, InferredType, unknown, string | null]>([
    // integer → bigint, only for whole numbers beyond 32 bits
    ['integer', 'bigint', 5, null],
    ['integer', 'bigint', 2 ** 31, 'bigint'],
    ['integer', 'bigint', -(2 ** 31) - 1, 'bigint'],
    ['integer', 'bigint', 9007199254740993n, 'bigint'],
    ['integer', 'decimal(38,0)', 2n ** 64n, null],
    ['integer', 'double', 1.5, null],
    ['integer', 'varchar', 'x', null],
    // real → double, for any number
    ['real', 'double', 1.5, 'double'],
    ['real', 'bigint', 7, 'double'],
    ['real', 'decimal(38,0)', 2n ** 64n, 'double'],
    ['real', 'boolean', true, null],
    // a decimal → more digits at the same scale, up to 38
    ['decimal(4,2)', 'double', 12345.5, 'decimal(7,2)'],
    ['decimal(4,2)', 'bigint', 12, null],
    ['decimal(10,0)', 'decimal(38,0)', 2n ** 64n, 'decimal(20,0)'],
    ['decimal(30,10)', 'decimal(38,0)', 10n ** 30n, null],
    ['decimal(4,2)', 'varchar', '123456', null],
    // nothing else widens in place (Iceberg): the value is rescued instead
    ['bigint', 'decimal(38,0)', 2n ** 64n, null],
    ['bigint', 'double', 1.5, null],
    ['double', 'varchar', 'x', null],
    ['varchar', 'bigint', 1, null],
    ['boolean', 'bigint', 1, null],
    ['date', 'timestamp(6) with time zone', '2026-06-12T10:00:00Z', null],
    ['varchar(10)', 'varchar', 'a longer text', null],
  ])('%s ← %s %s → %s', (column, incoming, value, wider) => {
    expect(widenFor(columnType(column), incoming, value)).toBe(wider);
  });

  it.each([
    ['integer', true],
    ['real', true],
    ['decimal(10,2)', true],
    ['bigint', false],
    ['double', false],
    ['varchar', false],
    ['boolean', false],
    ['date', false],
    ['timestamp(6) with time zone', false],
    ['varchar(10)', false],
    ['smallint', false],
  ])('%s can widen: %s', (column, can) => expect(canWiden(columnType(column))).toBe(can));

  it.each([
    ['integer', 'bigint', true],
    ['real', 'double', true],
    ['decimal(10,2)', 'decimal(12,2)', true],
    ['decimal(10,2)', 'decimal(10,2)', false],
    ['decimal(12,2)', 'decimal(10,2)', false],
    ['decimal(10,2)', 'decimal(12,3)', false],
    ['integer', 'double', false],
    ['integer', 'decimal(38,0)', false],
    ['real', 'bigint', false],
    ['bigint', 'decimal(38,0)', false],
    ['bigint', 'double', false],
    ['varchar', 'varchar(10)', false],
    ['smallint', 'integer', false],
  ])('%s → %s legal: %s', (from, to, legal) => expect(isLegalWidening(columnType(from), columnType(to))).toBe(legal));
});

describe('unifyTypes: a batch mixing types gets the narrowest that holds them all', () => {
  // Every pair of inferred types; numbers take the wider (bigint ⊂ decimal(38,0) ⊂ double), any other mix is varchar.
  const expected = (a: InferredType, b: InferredType): InferredType => {
    if (a === b) return a;
    const numbers: InferredType[] = ['bigint', 'decimal(38,0)', 'double'];
    return numbers.includes(a) && numbers.includes(b) ? numbers[Math.max(numbers.indexOf(a), numbers.indexOf(b))]! : 'varchar';
  };
  it.each(INFERRED.flatMap((a) => INFERRED.map((b) => [a, b, expected(a, b)] as const)))('%s + %s → %s', (a, b, unified) => {
    expect(unifyTypes(a, b)).toBe(unified);
  });
});

describe('fitsAliasTarget: (incoming, column) → may a field of that type stand for the column', () => {
  const columns = [
    'varchar',
    'boolean',
    'integer',
    'bigint',
    'real',
    'double',
    'decimal(10,2)',
    'decimal(38,0)',
    'date',
    'timestamp(6) with time zone',
    'varchar(255)',
    'smallint',
    'row(a varchar)',
    'array(bigint)',
  ];
  const numbers = ['integer', 'bigint', 'real', 'double', 'decimal(10,2)', 'decimal(38,0)'];
  // incoming → the columns it fits (a varchar column takes anything; an adopted table's other types, nothing)
  const fits: Record<InferredType, string[]> = {
    boolean: ['varchar', 'boolean'],
    bigint: ['varchar', ...numbers],
    'decimal(38,0)': ['varchar', ...numbers],
    double: ['varchar', ...numbers],
    varchar: ['varchar'],
    date: ['varchar', 'date'],
    'timestamp(6) with time zone': ['varchar', 'timestamp(6) with time zone'],
  };
  it.each(INFERRED.flatMap((incoming) => columns.map((column) => [incoming, column, fits[incoming].includes(column)] as const)))(
    '%s → %s: %s',
    (incoming, column, fit) => expect(fitsAliasTarget(incoming, columnType(column))).toBe(fit),
  );
});

describe('rendering per dialect', () => {
  it.each([
    ['boolean', 'boolean', 'BOOLEAN'],
    ['integer', 'integer', 'INTEGER'],
    ['bigint', 'bigint', 'BIGINT'],
    ['real', 'real', 'REAL'],
    ['double', 'double', 'DOUBLE'],
    ['varchar', 'varchar', 'VARCHAR'],
    ['date', 'date', 'DATE'],
    ['timestamp(6) with time zone', 'timestamp(6) with time zone', 'TIMESTAMPTZ'],
    ['decimal(38,0)', 'decimal(38,0)', 'DECIMAL(38,0)'],
    ['decimal(10, 2)', 'decimal(10, 2)', 'DECIMAL(10,2)'],
  ])('%s: Trino %s, DuckDB %s', (type, trino, duckdb) => {
    expect(renderTrino(columnType(type))).toBe(trino);
    expect(renderDuckDb(columnType(type))).toBe(duckdb);
  });

  it.each(['varchar(10)', 'smallint', 'row(a varchar)', 'decimal(2,5)', 'decimal(39,0)', 'decimal(0,0)', 'varchar); DROP TABLE x; --', 'BIGINT'])(
    'both refuse to render %s',
    (type) => {
      expect(() => renderTrino(columnType(type))).toThrow(/unexpected column type/);
      expect(() => renderDuckDb(columnType(type))).toThrow(/unexpected column type/);
    },
  );

  it.each([
    ['BOOLEAN', 'boolean'],
    ['INTEGER', 'integer'],
    ['BIGINT', 'bigint'],
    ['REAL', 'real'],
    ['FLOAT', 'real'],
    ['DOUBLE', 'double'],
    ['VARCHAR', 'varchar'],
    ['DATE', 'date'],
    ['TIMESTAMPTZ', 'timestamp(6) with time zone'],
    ['TIMESTAMP WITH TIME ZONE', 'timestamp(6) with time zone'],
    ['DECIMAL(10,2)', 'decimal(10,2)'],
    ['STRUCT(a VARCHAR)', 'struct(a varchar)'],
  ])('DuckDB %s reads back as %s', (duckdb, port) => expect(portType(duckdb)).toBe(port));

  it('reads back every type DuckDB is asked to create as itself', () => {
    for (const type of ['boolean', 'integer', 'bigint', 'real', 'double', 'varchar', 'date', 'timestamp(6) with time zone', 'decimal(12,3)'] as ColumnType[]) {
      expect(portType(renderDuckDb(type))).toBe(type);
    }
  });

  it.each<[ColumnType, string, string]>([
    ['varchar', 'a "b"', '"a \\"b\\""'],
    ['boolean', 'false', 'false'],
    ['integer', '-7', '-7'],
    ['bigint', '9223372036854775807', '9223372036854775807'],
    ['real', '1.5', '1.5'],
    ['double', '1e+300', '1e+300'],
    ['decimal(10,2)', '12.5', '12.5'],
    ['date', '2026-06-12', '"2026-06-12"'],
    ['timestamp(6) with time zone', '2026-06-12 10:00:00.000000 +05:30', '"2026-06-12 10:00:00.000000 +05:30"'],
  ])("a %s cell %s travels in Trino's batch document as %s", (type, text, json) => expect(jsonValue({ type, text })).toBe(json));

  it.each<[ColumnType, string]>([
    ['boolean', 'yes'],
    ['integer', '1.5'],
    ['bigint', '1; DROP TABLE x'],
    ['double', '1,2'],
    ['decimal(10,2)', 'NaN'],
    ['date', '12/06/2026'],
    ['timestamp(6) with time zone', '2026-06-12T10:00:00Z'],
    [columnType('varchar(10)'), 'x'],
  ])('Trino refuses a %s cell %s', (type, text) => expect(() => jsonValue({ type, text })).toThrow(/refusing/));
});
