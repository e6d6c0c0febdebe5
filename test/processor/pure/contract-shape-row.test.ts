// Pure: what a table's contract makes of one row — it lands (under freeze, what the schema has no room for rescued
// with a reason naming the contract), or under quarantine it goes whole to the quarantine, personal data hashed.
import { describe, expect, it } from 'vitest';
import { storedMessage } from './support/stored-message.ts';
import { decideRow, shapeRow } from '../../../processor/schema/contract-shape-row.ts';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';
import type { RegisteredColumn, TableSchema } from '../../../processor/schema/table-schema.ts';
import { columnType } from '../../../processor/schema/type-table.ts';
import type { SchemaContract } from '../../../processor/governance/policies.ts';
import { QUARANTINE_COLUMNS, quarantineTableName } from '../../../processor/governance/quarantine-table.ts';
import { isReservedTableName, isValidTableName } from '../../../shared/table-name.ts';

const hasher = new PiiHasher('sha256', Buffer.from('k'));
const hash = (value: unknown) => hasher.hash('t', value);
const message = storedMessage({ queueId: '7', messageId: 'm1' });
const col = (logical: string, type: string, pii = false): RegisteredColumn => ({ logical, physical: `p_${logical}`, type: columnType(type), pii });
const schemaUnder = (contract: SchemaContract | undefined): TableSchema => ({
  ref: { catalog: 'c', schema: 's', table: 'orders' },
  columns: new Map([col('id', 'bigint'), col('phone', 'varchar', true), col('qty', 'integer'), col('total', 'double')].map((c) => [c.logical, c])),
  aliases: new Map([
    ['celular', 'phone'],
    ['contato', 'phone'],
  ]),
  version: 3,
  provenance: false,
  ...(contract === undefined ? {} : { contract }),
});
const fields = (row: Record<string, unknown>) => new Map(Object.entries(row));
const landed = (contract: SchemaContract | undefined, row: Record<string, unknown>) => {
  const decision = decideRow('t', fields(row), [], schemaUnder(contract), hasher);
  if (decision.kind !== 'land') throw new Error(`quarantined: ${decision.reason}`);
  return { cells: Object.fromEntries(decision.shaped.cells), rescued: decision.shaped.rescued };
};

describe('freeze: the row lands, what has no room is rescued with the contract in the reason', () => {
  it.each([
    {
      name: 'a new field: rescued, "contract freeze: no column for this field"',
      row: { id: 1, coupon: 'SAVE10' },
      cells: { p_id: { type: 'bigint', text: '1' } },
      rescued: { coupon: { value: 'SAVE10', reason: 'contract freeze: no column for this field' } },
    },
    {
      name: 'a value needing a widening: rescued, the widening named',
      row: { id: 1, qty: 5_000_000_000 },
      cells: { p_id: { type: 'bigint', text: '1' } },
      rescued: { qty: { value: 5_000_000_000, reason: 'contract freeze: column is integer, value needs bigint' } },
    },
    {
      name: 'a value no widening could hold: rescued as under evolve',
      row: { id: 1, total: 'lots' },
      cells: { p_id: { type: 'bigint', text: '1' } },
      rescued: { total: { value: 'lots', reason: 'column is double, value is text' } },
    },
    {
      name: 'an alias still applies, and its PII column hashes the value',
      row: { id: 1, celular: '+5581999990000' },
      cells: { p_id: { type: 'bigint', text: '1' }, p_phone: { type: 'varchar', text: hash('+5581999990000') } },
      rescued: {},
    },
    {
      name: 'a new field holding personal data is rescued as its hash',
      row: { id: 1, email: 'ana@example.com' },
      cells: { p_id: { type: 'bigint', text: '1' } },
      rescued: { email: { value: hash('ana@example.com'), reason: 'contract freeze: no column for this field' } },
    },
  ])('$name', ({ row, cells, rescued }) => {
    expect(landed('freeze', row)).toEqual({ cells, rescued });
  });

  it('under evolve (or no contract) the reasons are those of before', () => {
    for (const contract of ['evolve', undefined] as const) {
      expect(landed(contract, { id: 1, coupon: 'x' }).rescued).toEqual({ coupon: { value: 'x', reason: 'no column for this field' } });
    }
  });
});

describe('quarantine: a row that would change the schema, or whose values do not fit, goes whole to the quarantine', () => {
  it.each([
    { name: 'a new field', row: { id: 1, coupon: 'SAVE10' }, reason: 'contract quarantine: field "coupon" has no column' },
    {
      name: 'a value needing a widening',
      row: { id: 1, qty: 5_000_000_000 },
      reason: 'contract quarantine: field "qty": column qty is integer, value needs bigint',
    },
    {
      name: 'a value that does not fit its column',
      row: { id: 1, total: 'lots' },
      reason: 'contract quarantine: field "total": column total is double, value is varchar',
    },
    {
      name: 'every problem of the row, in one reason',
      row: { id: 'x', coupon: 'a', total: 'lots' },
      reason:
        'contract quarantine: field "id": column id is bigint, value is varchar; field "coupon" has no column; field "total": column total is double, value is varchar',
    },
  ])('$name', ({ row, reason }) => {
    expect(decideRow('t', fields(row), [], schemaUnder('quarantine'), hasher)).toMatchObject({ kind: 'quarantine', reason });
  });

  it.each([
    { name: 'a fitting row', row: { id: 1, qty: 2, total: 9.5 } },
    { name: 'a new field that is null (nothing to keep, no column needed)', row: { id: 1, coupon: null } },
    { name: 'a field through an alias', row: { id: 1, celular: '+5581999990000' } },
  ])('lands: $name', ({ row }) => {
    expect(decideRow('t', fields(row), [], schemaUnder('quarantine'), hasher).kind).toBe('land');
  });

  it('the quarantine row: metadata of the message, the reason, the row as JSON with personal data hashed', () => {
    const now = new Date('2026-06-12T10:00:00.5Z');
    const row = { id: 1, coupon: 'SAVE10', celular: '+5581999990000', email: 'ana@example.com', note: 'call ana@example.com', customer: 'Ana' };
    const collisions = [
      { field: 'phone', value: '+5581988880000' },
      { field: 'contato', value: 'ask for Ana' },
    ];
    const outcome = shapeRow(message, 4, fields(row), collisions, schemaUnder('quarantine'), hasher, now);
    expect(outcome.kind).toBe('quarantine');
    expect(outcome.row).toMatchObject({ messageId: 'm1', rowId: 4, tenantId: 't', sequence: '7', rescue: null });
    expect(Object.fromEntries(outcome.row.cells)).toEqual({
      [QUARANTINE_COLUMNS.reason]: {
        type: 'varchar',
        text: 'contract quarantine: field "coupon" has no column; field "email" has no column; field "note" has no column; field "customer" has no column',
      },
      [QUARANTINE_COLUMNS.row]: { type: 'varchar', text: expect.any(String) },
      [QUARANTINE_COLUMNS.quarantinedAt]: { type: 'timestamp(6) with time zone', text: '2026-06-12 10:00:00.500000 +00:00' },
    });
    expect(JSON.parse(outcome.row.cells.get(QUARANTINE_COLUMNS.row)!.text)).toEqual({
      id: 1,
      coupon: 'SAVE10',
      celular: hash('+5581999990000'), // its column is PII
      email: hash('ana@example.com'), // named and shaped like personal data
      note: 'call ana@example.com', // free text: not shaped like an e-mail as a whole
      customer: 'Ana',
      'phone#2': hash('+5581988880000'), // a collision of a PII column's field
      'contato#3': hash('ask for Ana'), // neither named nor shaped like personal data: its alias's column is PII
    });
    expect(outcome.row.cells.get(QUARANTINE_COLUMNS.row)!.text).not.toContain('+5581999990000');
  });

  it('under freeze nothing is quarantined', () => {
    expect(shapeRow(message, 0, fields({ id: 1, coupon: 'x', total: 'lots' }), [], schemaUnder('freeze'), hasher, new Date()).kind).toBe('land');
  });
});

describe('quarantineTableName: reserved, within the 128-character limit', () => {
  it('is the table name after the reserved prefix', () => {
    expect(quarantineTableName('orders')).toBe('_boitata_quarantine_orders');
    expect(quarantineTableName('Orders')).toBe('_boitata_quarantine_orders');
  });

  it('a long name is cut and ends in a hash of the whole name: two long names sharing a prefix stay apart', () => {
    const a = `${'a'.repeat(120)}_one`;
    const b = `${'a'.repeat(120)}_two`;
    expect(quarantineTableName(a)).toHaveLength(128);
    expect(quarantineTableName(a)).toMatch(/^_boitata_quarantine_a+_[0-9a-f]{8}$/);
    expect(quarantineTableName(a)).not.toBe(quarantineTableName(b));
    expect(quarantineTableName(a)).toBe(quarantineTableName(a));
    expect(quarantineTableName('a'.repeat(108))).toHaveLength(128); // exactly at the limit: kept whole
    expect(quarantineTableName('a'.repeat(108))).toBe(`_boitata_quarantine_${'a'.repeat(108)}`);
  });

  it('no sender can name it: the prefix is reserved', () => {
    for (const table of ['orders', 'x'.repeat(128)]) {
      expect(isReservedTableName(quarantineTableName(table))).toBe(true);
      expect(isValidTableName(quarantineTableName(table))).toBe(false);
    }
  });
});
