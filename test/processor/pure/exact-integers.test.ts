// Pure: integers beyond 2^53 stay exact from the queued text to the cell or the rescue column (issue 10).
import { describe, expect, it } from 'vitest';
import { flattenRow } from '../../../processor/normalize/flatten-row.ts';
import { storedMessage } from './support/stored-message.ts';
import { parsePayload, stringifyJson } from '../../../processor/normalize/parse-payload.ts';
import { columnType, coerceValue, inferType, unifyTypes, widenFor } from '../../../processor/schema/column-types.ts';
import { lastWritePerKey, toLoadRow } from '../../../processor/schema/load-row.ts';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';
import { observedType, planSchemaChange, type RegisteredColumn } from '../../../processor/schema/plan-schema-change.ts';
import type { TableSchema } from '../../../processor/schema/schema-registry.ts';

describe('parsePayload and stringifyJson', () => {
  it.each([
    ['9007199254740993', 9007199254740993n],
    ['9007199254740992', 9007199254740992n],
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['-9223372036854775808', -9223372036854775808n],
    ['18446744073709551616', 18446744073709551616n],
    ['1e-7', 1e-7],
    ['0.1', 0.1],
    ['12.0', 12],
    ['1e300', 1e300],
    ['"9007199254740993"', '9007199254740993'],
  ])('%s → %o', (text, value) => expect(parsePayload(text)).toStrictEqual(value));

  it.each([
    '[9007199254740993,9007199254740992]',
    '{"k":-9223372036854775808,"big":18446744073709551616,"small":1e-7,"tenth":0.1,"nested":{"a":[99999999999999999999999999999999999999]}}',
    '[1,2.5,"x",true,null,{}]',
  ])('round-trips %s exactly', (text) => expect(stringifyJson(parsePayload(text))).toBe(text));

  it('keeps the two item keys of issue 10 apart', () => {
    const rows = parsePayload('[{"k":9007199254740993,"v":1},{"k":9007199254740992,"v":2}]') as Array<{ k: unknown }>;
    expect(rows.map((row) => row.k)).toEqual([9007199254740993n, 9007199254740992n]);
    expect(rows[0]!.k).not.toEqual(rows[1]!.k);
  });
});

describe('type inference of wide integers', () => {
  it.each([
    [9007199254740993n, 'bigint'],
    [2n ** 63n - 1n, 'bigint'],
    [-(2n ** 63n), 'bigint'],
    [2n ** 63n, 'decimal(38,0)'],
    [-(2n ** 63n) - 1n, 'decimal(38,0)'],
    [10n ** 38n - 1n, 'decimal(38,0)'], // 38 digits
    [10n ** 38n, 'double'], // 39 digits: no exact column holds it (jsonb writes 1e38 out like this)
  ])('%s → %s', (value, type) => expect(inferType(value)).toBe(type));

  it.each([
    [[1, 2n ** 64n], 'decimal(38,0)'],
    [[2n ** 64n, 1.5], 'double'],
    [[9007199254740993n, 7], 'bigint'],
    [[2n ** 64n, 'x'], 'varchar'],
  ])('a batch of %s → %s', (values, type) => expect(observedType(values)).toBe(type));

  it('unifies bigint ⊂ decimal(38,0) ⊂ double', () => {
    expect(unifyTypes('bigint', 'decimal(38,0)')).toBe('decimal(38,0)');
    expect(unifyTypes('decimal(38,0)', 'double')).toBe('double');
    expect(unifyTypes('decimal(38,0)', 'boolean')).toBe('varchar');
  });

  it('never widens bigint to decimal (Iceberg forbids it); widens a decimal and an integer where allowed', () => {
    expect(widenFor('bigint', 'decimal(38,0)', 2n ** 64n)).toBeNull();
    expect(widenFor('integer', 'decimal(38,0)', 2n ** 64n)).toBeNull();
    expect(widenFor('integer', 'bigint', 9007199254740993n)).toBe('bigint');
    expect(widenFor('decimal(10,0)', 'decimal(38,0)', 2n ** 64n)).toBe('decimal(20,0)');
    expect(widenFor('real', 'decimal(38,0)', 2n ** 64n)).toBe('double');
  });
});

describe('coerceValue of wide integers', () => {
  it.each([
    ['bigint', 9007199254740993n, { ok: true, cell: { type: 'bigint', text: '9007199254740993' } }],
    ['bigint', -9223372036854775808n, { ok: true, cell: { type: 'bigint', text: '-9223372036854775808' } }],
    [
      'bigint',
      18446744073709551616n,
      { ok: false, reason: '18446744073709551616 is out of range for bigint (beyond 64 bits; a bigint column cannot become a decimal)' },
    ],
    ['integer', 9007199254740993n, { ok: false, reason: '9007199254740993 is out of range for integer' }],
    ['decimal(38,0)', 18446744073709551616n, { ok: true, cell: { type: 'decimal(38,0)', text: '18446744073709551616' } }],
    ['decimal(38,0)', 9007199254740993n, { ok: true, cell: { type: 'decimal(38,0)', text: '9007199254740993' } }],
    ['decimal(38,0)', 10n ** 38n, { ok: false, reason: '100000000000000000000000000000000000000 does not fit decimal(38,0) without rounding' }],
    ['decimal(20,2)', 2n ** 64n, { ok: false, reason: '18446744073709551616 does not fit decimal(20,2) without rounding' }],
    ['varchar', 18446744073709551616n, { ok: true, cell: { type: 'varchar', text: '18446744073709551616' } }],
    ['varchar', [9007199254740993n, { a: 2n ** 64n }], { ok: true, cell: { type: 'varchar', text: '[9007199254740993,{"a":18446744073709551616}]' } }],
    ['double', 9007199254740993n, { ok: true, cell: { type: 'double', text: '9007199254740993' } }],
    ['real', 10n ** 39n, { ok: false, reason: '1000000000000000000000000000000000000000 is out of range for real' }],
    ['boolean', 9007199254740993n, { ok: false, reason: 'column is boolean, value is a whole number' }],
  ])('%s ← %s', (type, value, expected) => expect(coerceValue(value, columnType(type))).toEqual(expected));
});

describe('planSchemaChange with wide integers', () => {
  const registered: RegisteredColumn[] = [{ logical: 'id', physical: 'id', type: 'bigint' }];

  it('types a column first seen with integers beyond 64 bits decimal(38,0), and leaves a bigint column as it is', () => {
    const plan = planSchemaChange(
      registered,
      new Map<string, unknown[]>([
        ['id', [2n ** 64n]],
        ['wide', [1, 2n ** 64n]],
      ]),
    );
    expect(plan.changes).toEqual([{ kind: 'add_column', logical: 'wide', physical: 'wide', type: 'decimal(38,0)' }]);
  });
});

describe('the loader keeps wide integers exact', () => {
  const message = storedMessage({ queueId: '7', messageId: 'm1', tenantId: 't1' });
  const schema: TableSchema = {
    ref: { catalog: 'c', schema: 's', table: 'x' },
    provenance: false,
    columns: new Map([
      ['k', { logical: 'k', physical: 'k', type: 'bigint' }],
      ['wide', { logical: 'wide', physical: 'wide', type: 'decimal(38,0)' }],
      ['note', { logical: 'note', physical: 'note', type: 'varchar' }],
      ['phone', { logical: 'phone', physical: 'phone', type: 'varchar', pii: true }],
    ]),
    aliases: new Map(),
    version: 1,
  };
  const hasher = new PiiHasher('sha256', Buffer.from('k'));
  const load = (text: string) => {
    const flat = flattenRow(parsePayload(text) as Record<string, unknown> as never);
    return toLoadRow(message, 0, flat.fields, flat.collisions, schema, hasher);
  };

  it('writes exact text to bigint and decimal(38,0) cells, and rescues a >64-bit value bound for bigint as its exact text', () => {
    const row = load('{"k":18446744073709551616,"wide":99999999999999999999999999999999999999,"note":[9007199254740993],"other":{"x":9007199254740993}}');
    expect(row.cells.get('wide')).toEqual({ type: 'decimal(38,0)', text: '99999999999999999999999999999999999999' });
    expect(row.cells.get('note')).toEqual({ type: 'varchar', text: '[9007199254740993]' });
    expect(row.cells.has('k')).toBe(false);
    expect(row.rescue).toBe(
      '{"k":{"value":18446744073709551616,"reason":"18446744073709551616 is out of range for bigint (beyond 64 bits; a bigint column cannot become a decimal)"},' +
        '"other.x":{"value":9007199254740993,"reason":"no column for this field"}}',
    );
  });

  it('hashes a wide integer as its exact digits', () => {
    const row = load('{"phone":9007199254740993}');
    expect(row.cells.get('phone')).toEqual({ type: 'varchar', text: hasher.hash('t1', '9007199254740993') });
    expect(hasher.hash('t1', 9007199254740993n)).not.toBe(hasher.hash('t1', 9007199254740992));
  });

  it('keeps two item keys that differ beyond 2^53 as two rows', () => {
    const rows = [load('{"k":9007199254740993,"note":"a"}'), load('{"k":9007199254740992,"note":"b"}')];
    expect(lastWritePerKey('k', rows).map((row) => row.cells.get('k')?.text)).toEqual(['9007199254740993', '9007199254740992']);
  });
});
