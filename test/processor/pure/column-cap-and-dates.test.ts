// Pure: the column cap (no table past MAX_COLUMNS_PER_TABLE; the rest rescued with the reason) and ISO dates of years 0–99.
import { describe, expect, it } from 'vitest';
import { MAX_COLUMNS_PER_TABLE } from '../../../shared/ingest-limits.ts';
import { isIsoDate, isIsoTimestamp } from '../../../shared/timestamps.ts';
import { storedMessage } from './support/stored-message.ts';
import { coerceValue, inferType } from '../../../processor/schema/column-types.ts';
import { toLoadRow } from '../../../processor/schema/load-row.ts';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';
import { planSchemaChange, type RegisteredColumn } from '../../../processor/schema/plan-schema-change.ts';
import type { TableSchema } from '../../../processor/schema/schema-registry.ts';

const columns = (count: number): RegisteredColumn[] => Array.from({ length: count }, (_, i) => ({ logical: `c${i}`, physical: `c${i}`, type: 'bigint' }));

describe('the column cap', () => {
  it.each([
    [0, ['a', 'b', 'c'], ['a', 'b', 'c'], []],
    [MAX_COLUMNS_PER_TABLE - 2, ['c', 'a', 'b'], ['a', 'b'], ['c']],
    [MAX_COLUMNS_PER_TABLE, ['a'], [], ['a']],
    [MAX_COLUMNS_PER_TABLE + 5, ['a'], [], ['a']], // an adopted table already past it
  ])('a table of %i columns given %j adds %j and leaves %j without a column', (existing, fields, added, over) => {
    const plan = planSchemaChange(columns(existing), new Map(fields.map((f) => [f, [1]])));
    expect(plan.changes.map((c) => c.logical)).toEqual(added);
    expect(plan.overCap).toEqual(over);
  });

  it('still widens a registered column of a full table', () => {
    const full: RegisteredColumn[] = [...columns(MAX_COLUMNS_PER_TABLE - 1), { logical: 'small', physical: 'small', type: 'integer' }];
    const plan = planSchemaChange(
      full,
      new Map<string, unknown[]>([
        ['small', [2 ** 40]],
        ['new_one', [1]],
      ]),
    );
    expect(plan.changes).toEqual([{ kind: 'widen_column', logical: 'small', physical: 'small', from: 'integer', to: 'bigint' }]);
    expect(plan.overCap).toEqual(['new_one']);
  });

  it('rescues the value of a field past the cap with the reason, and keeps the row', () => {
    const message = storedMessage();
    const full: TableSchema = {
      ref: { catalog: 'c', schema: 's', table: 'x' },
      aliases: new Map(),
      version: 1,
      provenance: false,
      columns: new Map(columns(MAX_COLUMNS_PER_TABLE).map((c) => [c.logical, c])),
    };
    const row = toLoadRow(
      message,
      0,
      new Map<string, unknown>([
        ['c1', 5],
        ['extra', 'kept'],
      ]),
      [],
      full,
      new PiiHasher('sha256', Buffer.from('k')),
    );
    expect(row.cells.get('c1')).toEqual({ type: 'bigint', text: '5' });
    expect(JSON.parse(row.rescue!)).toEqual({ extra: { value: 'kept', reason: `table reached its ${MAX_COLUMNS_PER_TABLE}-column limit` } });
  });
});

describe('ISO dates in the proleptic Gregorian calendar (years 0–99 included)', () => {
  it.each([
    ['0000-02-29', true], // year 0 is a leap year (divisible by 400)
    ['0000-01-01', true],
    ['0001-02-29', false],
    ['0004-02-29', true],
    ['0099-12-31', true],
    ['0100-02-29', false],
    ['0400-02-29', true],
    ['1900-02-29', false],
    ['2000-02-29', true],
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['2026-04-31', false],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['9999-12-31', true],
  ])('%s → %s', (text, valid) => {
    expect(isIsoDate(text)).toBe(valid);
    expect(isIsoTimestamp(`${text}T10:00:00Z`)).toBe(valid);
  });

  it('types and coerces 0000-02-29 as a date', () => {
    expect(inferType('0000-02-29')).toBe('date');
    expect(coerceValue('0000-02-29', 'date')).toEqual({ ok: true, cell: { type: 'date', text: '0000-02-29' } });
    expect(coerceValue('0000-02-29T23:59:59+01:00', 'timestamp(6) with time zone')).toEqual({
      ok: true,
      cell: { type: 'timestamp(6) with time zone', text: '0000-02-29 23:59:59.000000 +01:00' },
    });
  });
});
