// DuckDB types in the port's vocabulary, port types rendered for DuckDB, and cells as DuckDB values (pure).
import { type DuckDBDateValue, type DuckDBDecimalValue, DuckDBTimestampTZValue } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { columnType } from '../../../processor/schema/type-table.ts';
import { portType, renderType } from '../../../processor/warehouse/duckdb-sql.ts';
import { cellValue, jsonFriendly } from '../../../processor/warehouse/duckdb-values.ts';
import { WarehouseError } from '../../../processor/warehouse/warehouse.ts';

describe('DuckDB types', () => {
  it.each([
    ['BOOLEAN', 'boolean'],
    ['BIGINT', 'bigint'],
    ['INTEGER', 'integer'],
    ['DOUBLE', 'double'],
    ['FLOAT', 'real'],
    ['VARCHAR', 'varchar'],
    ['DATE', 'date'],
    ['TIMESTAMP WITH TIME ZONE', 'timestamp(6) with time zone'],
    ['DECIMAL(10,2)', 'decimal(10,2)'],
    ['SMALLINT', 'smallint'],
    ['TIMESTAMP', 'timestamp'],
    ['VARCHAR[]', 'varchar[]'],
  ])('%s is described as %s', (duckdb, port) => {
    expect(portType(duckdb)).toBe(port);
  });

  it.each([
    ['boolean', 'BOOLEAN'],
    ['integer', 'INTEGER'],
    ['bigint', 'BIGINT'],
    ['real', 'REAL'],
    ['double', 'DOUBLE'],
    ['varchar', 'VARCHAR'],
    ['date', 'DATE'],
    ['timestamp(6) with time zone', 'TIMESTAMPTZ'],
    ['decimal(10, 2)', 'DECIMAL(10,2)'],
  ])('%s is created as %s', (port, duckdb) => {
    expect(renderType(columnType(port))).toBe(duckdb);
  });

  it.each(['smallint', 'varchar[]', 'decimal(2,5)', 'varchar); DROP TABLE x; --', 'timestamp'])('refuses to render %s', (type) => {
    expect(() => renderType(columnType(type))).toThrow(/unexpected column type/);
  });
});

describe('cells as DuckDB values', () => {
  const micros = (text: string) => (cellValue({ type: 'timestamp(6) with time zone', text }, 'timestamp(6) with time zone') as DuckDBTimestampTZValue).micros;

  it('turns canonical timestamp text into the same instant whatever the offset', () => {
    expect(micros('2026-06-12 10:00:00.123456 +05:30')).toBe(micros('2026-06-12 04:30:00.123456 +00:00'));
    expect(micros('2025-12-31 23:30:00.000000 -03:00')).toBe(BigInt(Date.UTC(2026, 0, 1, 2, 30)) * 1000n);
    expect(micros('1969-12-31 23:59:59.999999 +00:00')).toBe(-1n);
  });

  it('reads dates, including years below 100, as days since 1970', () => {
    expect((cellValue({ type: 'date', text: '1970-01-02' }, 'date') as DuckDBDateValue).days).toBe(1);
    expect((cellValue({ type: 'date', text: '0050-01-01' }, 'date') as DuckDBDateValue).toString()).toBe('0050-01-01');
  });

  it('keeps decimals exact', () => {
    const value = cellValue({ type: 'decimal(10,2)', text: '-12345678.9' }, 'decimal(10,2)') as DuckDBDecimalValue;
    expect([value.value, value.width, value.scale]).toEqual([-1234567890n, 10, 2]);
  });

  it.each([
    ['integer', '2147483648'],
    ['bigint', '9223372036854775808'],
    ['boolean', 'yes'],
    ['double', '1e400'],
    ['real', '1e39'],
    ['date', '2026-02-30'],
    ['timestamp(6) with time zone', '2026-06-12T10:00:00Z'],
    ['decimal(5,2)', '1234.5'],
    ['decimal(5,2)', '1.234'],
  ])('refuses %s text %s as permanent bad data', (name, text) => {
    const type = columnType(name);
    expect(() => cellValue({ type, text }, type)).toThrow(WarehouseError);
    try {
      cellValue({ type, text }, type);
    } catch (error) {
      expect(error).toMatchObject({ kind: 'permanent', errorName: 'INVALID_VALUE' });
    }
  });

  it('gives results back as JSON-friendly values', () => {
    expect(jsonFriendly(2n ** 53n - 1n)).toBe(9007199254740991);
    expect(jsonFriendly(2n ** 53n + 1n)).toBe('9007199254740993');
    expect(jsonFriendly(new DuckDBTimestampTZValue(-1n))).toBe('1969-12-31T23:59:59.999999Z');
    expect(jsonFriendly(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
