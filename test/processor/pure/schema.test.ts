// Pure schema logic: type inference, coercion, widening, physical names, flattening, and the resolver's plans.
import { describe, expect, it } from 'vitest';
import { flattenRow } from '../../../processor/normalize/flatten-row.ts';
import { canonicalTimestamp, columnType, coerceValue, inferType, isLegalWidening, unifyTypes, widenFor } from '../../../processor/schema/column-types.ts';
import { physicalColumnName } from '../../../processor/schema/physical-name.ts';
import { planSchemaChange } from '../../../processor/schema/plan-schema-change.ts';
import type { RegisteredColumn } from '../../../processor/schema/table-schema.ts';

describe('inferType', () => {
  it.each([
    [true, 'boolean'],
    [0, 'bigint'],
    [-42, 'bigint'],
    [2 ** 60, 'bigint'],
    [1.5, 'double'],
    [1e300, 'double'],
    ['2026-06-12', 'date'],
    ['2026-02-30', 'varchar'],
    ['2026-06-12T10:00:00Z', 'timestamp(6) with time zone'],
    ['2026-06-12T10:00:00.123456789+05:30', 'timestamp(6) with time zone'],
    ['2026-06-12T10:00:00', 'varchar'],
    ['2026-06-12T10:00:00+14:00', 'timestamp(6) with time zone'],
    ['2026-06-12T10:00:00+15:00', 'varchar'],
    ['2026-06-12T10:00:00-12:60', 'varchar'],
    ['hello', 'varchar'],
    ['', 'varchar'],
    [[1, 2], 'varchar'],
    [null, null],
  ])('%j → %s', (value, type) => expect(inferType(value)).toBe(type));
});

describe('unifyTypes and widening', () => {
  it('unifies numbers to double and anything else mixed to varchar', () => {
    expect(unifyTypes('bigint', 'double')).toBe('double');
    expect(unifyTypes('bigint', 'boolean')).toBe('varchar');
    expect(unifyTypes('date', 'timestamp(6) with time zone')).toBe('varchar');
  });
  it.each([
    ['integer', 'bigint', true],
    ['real', 'double', true],
    ['decimal(10,2)', 'decimal(12,2)', true],
    ['decimal(10,2)', 'decimal(12,3)', false],
    ['bigint', 'double', false],
    ['bigint', 'varchar', false],
    ['double', 'bigint', false],
  ])('%s → %s legal: %s', (from, to, legal) => expect(isLegalWidening(columnType(from), columnType(to))).toBe(legal));
  it('widens only when the value needs it', () => {
    expect(widenFor('integer', 'bigint', 5)).toBeNull();
    expect(widenFor('integer', 'bigint', 2 ** 40)).toBe('bigint');
    expect(widenFor('real', 'double', 1.5)).toBe('double');
    expect(widenFor('decimal(4,2)', 'double', 12345.5)).toBe('decimal(7,2)');
    expect(widenFor('bigint', 'double', 1.5)).toBeNull();
  });
});

describe('coerceValue', () => {
  it.each([
    ['varchar', 42, { ok: true, cell: { type: 'varchar', text: '42' } }],
    ['varchar', { a: 1 }, { ok: true, cell: { type: 'varchar', text: '{"a":1}' } }],
    ['double', 7, { ok: true, cell: { type: 'double', text: '7' } }],
    ['bigint', 7.5, { ok: false, reason: 'column is bigint, value is a fractional number' }],
    ['bigint', '7', { ok: false, reason: 'column is bigint, value is text' }],
    ['integer', 2 ** 40, { ok: false, reason: '1099511627776 is out of range for integer' }],
    ['boolean', 'true', { ok: false, reason: 'column is boolean, value is text' }],
    ['date', '2026-06-12T10:00:00Z', { ok: false, reason: 'column is date, value is text shaped as timestamp(6) with time zone' }],
    [
      'timestamp(6) with time zone',
      '2026-06-12T10:00:00Z',
      { ok: true, cell: { type: 'timestamp(6) with time zone', text: '2026-06-12 10:00:00.000000 +00:00' } },
    ],
    ['bigint', null, { ok: true, cell: null }],
    ['decimal(10,2)', 12.5, { ok: true, cell: { type: 'decimal(10,2)', text: '12.5' } }],
    ['decimal(10,2)', 0.125, { ok: false, reason: '0.125 does not fit decimal(10,2) without rounding' }],
    ['decimal(10,2)', 1e-7, { ok: false, reason: '1e-7 does not fit decimal(10,2) without rounding' }],
    ['real', 1e300, { ok: false, reason: '1e+300 is out of range for real' }],
  ])('%s ← %j', (type, value, expected) => expect(coerceValue(value, columnType(type))).toEqual(expected));

  it('keeps microseconds and the offset of a timestamp', () => {
    expect(canonicalTimestamp('2026-06-12T10:00:00.1234567-0300')).toBe('2026-06-12 10:00:00.123456 -03:00');
    expect(canonicalTimestamp('2026-06-12 10:00Z')).toBe('2026-06-12 10:00:00.000000 +00:00');
  });
});

describe('physicalColumnName', () => {
  it.each([
    ['location.city', [], 'location__city'],
    ['Phone Number', [], 'phone_number'],
    ['a"; DROP TABLE x; --', [], 'a___drop_table_x____'],
    ['_boitata_message_id', [], 'f_boitata_message_id'],
    ['', [], 'f'],
    ['Phone', ['phone'], 'phone_2'],
    ['phone', ['phone', 'phone_2'], 'phone_3'],
  ])('%j (taken %j) → %s', (logical, taken, physical) => expect(physicalColumnName(logical, new Set(taken))).toBe(physical));

  it('cuts long names and keeps them unique with a hash', () => {
    const a = physicalColumnName('x'.repeat(200), new Set());
    const b = physicalColumnName(`${'x'.repeat(199)}y`, new Set());
    expect(a.length).toBeLessThanOrEqual(128);
    expect(a).not.toBe(b);
  });
});

describe('flattenRow', () => {
  it('uses dot notation, keeps arrays whole, keeps empty objects, and records collisions', () => {
    const flat = flattenRow({ a: { b: { c: 1 } }, list: [{ x: 1 }], empty: {}, 'a.b.c': 2, n: null });
    expect([...flat.fields]).toEqual([
      ['a.b.c', 1],
      ['list', [{ x: 1 }]],
      ['empty', '{}'],
      ['n', null],
    ]);
    expect(flat.collisions).toEqual([{ field: 'a.b.c', value: 2 }]);
  });
});

describe('planSchemaChange', () => {
  const registered: RegisteredColumn[] = [
    { logical: 'id', physical: 'id', type: 'bigint' },
    { logical: 'phone', physical: 'phone', type: 'varchar' },
    { logical: 'small', physical: 'small', type: 'integer' },
  ];

  it('plans a new column for each unknown field, typed from all its values, in name order', () => {
    const plan = planSchemaChange(
      registered,
      new Map<string, unknown[]>([
        ['id', [1]],
        ['zeta', [1, 2.5]],
        ['alpha', ['x', 1]],
        ['only_null', []],
        ['location.city', ['Recife']],
      ]),
    );
    expect(plan).toEqual({
      changes: [
        { kind: 'add_column', logical: 'alpha', physical: 'alpha', type: 'varchar' },
        { kind: 'add_column', logical: 'location.city', physical: 'location__city', type: 'varchar' },
        { kind: 'add_column', logical: 'zeta', physical: 'zeta', type: 'double' },
      ],
      overCap: [],
    });
  });

  it('plans a widening when a value needs it, and nothing for a conflict (the loader rescues it)', () => {
    const plan = planSchemaChange(
      registered,
      new Map<string, unknown[]>([
        ['small', [1, 2 ** 40]],
        ['id', ['not a number']],
      ]),
    );
    expect(plan.changes).toEqual([{ kind: 'widen_column', logical: 'small', physical: 'small', from: 'integer', to: 'bigint' }]);
  });

  it('maps an aliased field onto its column (its values count for widening) instead of adding a column', () => {
    const plan = planSchemaChange(
      registered,
      new Map<string, unknown[]>([
        ['tiny', [2 ** 40]],
        ['extra', [true]],
      ]),
      new Map([['tiny', 'small']]),
    );
    expect(plan.changes).toEqual([
      { kind: 'widen_column', logical: 'small', physical: 'small', from: 'integer', to: 'bigint' },
      { kind: 'add_column', logical: 'extra', physical: 'extra', type: 'boolean' },
    ]);
  });

  it('plans nothing when every field has a column that fits', () => {
    expect(
      planSchemaChange(
        registered,
        new Map<string, unknown[]>([
          ['id', [1, 2]],
          ['phone', [5]],
        ]),
      ).changes,
    ).toEqual([]);
  });
});
