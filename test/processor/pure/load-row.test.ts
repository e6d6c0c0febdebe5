// Pure: row shaping — (schema, one flattened row) → the cells written and what is rescued, with the reason; and the
// last write per item key for MERGE.
import { describe, expect, it } from 'vitest';
import { storedMessage } from './support/stored-message.ts';
import { lastWritePerKey, toLoadRow } from '../../../processor/schema/load-row.ts';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';
import type { RegisteredColumn, TableSchema } from '../../../processor/schema/table-schema.ts';
import { columnType } from '../../../processor/schema/type-table.ts';

const hasher = new PiiHasher('sha256', Buffer.from('k'));
const hash = (value: unknown) => hasher.hash('t', value);
const message = storedMessage({ queueId: '7', messageId: 'm1' });
const col = (logical: string, type: string, pii = false): RegisteredColumn => ({ logical, physical: `p_${logical}`, type: columnType(type), pii });
const schema: TableSchema = {
  ref: { catalog: 'c', schema: 's', table: 'x' },
  columns: new Map(
    [col('id', 'bigint'), col('phone', 'varchar', true), col('age', 'bigint'), col('ssn', 'bigint', true), col('day', 'date')].map((c) => [c.logical, c]),
  ),
  aliases: new Map([
    ['celular', 'phone'],
    ['idade', 'age'],
  ]),
  version: 3,
  provenance: false,
};

const cases: Array<{
  name: string;
  fields: Record<string, unknown>;
  collisions?: Array<{ field: string; value: unknown }>;
  cells: Record<string, unknown>;
  rescue: Record<string, unknown> | null;
}> = [
  {
    name: 'values coerced into their columns, nothing rescued',
    fields: { id: 1, age: 30, day: '2026-01-02' },
    cells: { p_id: { type: 'bigint', text: '1' }, p_age: { type: 'bigint', text: '30' }, p_day: { type: 'date', text: '2026-01-02' } },
    rescue: null,
  },
  {
    name: 'an alias fills its column',
    fields: { idade: 41 },
    cells: { p_age: { type: 'bigint', text: '41' } },
    rescue: null,
  },
  {
    name: 'a field and its alias in one row: the canonical value keeps the column, the alias is rescued',
    fields: { idade: 41, age: 40 },
    cells: { p_age: { type: 'bigint', text: '40' } },
    rescue: { idade: { value: 41, reason: 'column age is already filled by another field of this row' } },
  },
  {
    name: 'personal data: only its hash is written, through an alias too',
    fields: { celular: '+5581999990000' },
    cells: { p_phone: { type: 'varchar', text: hash('+5581999990000') } },
    rescue: null,
  },
  {
    name: 'personal data a non-text column cannot hold: its hash is rescued, never the plaintext',
    fields: { ssn: 123456789 },
    cells: {},
    rescue: { ssn: { value: hash(123456789), reason: 'PII: the bigint column cannot hold its hash' } },
  },
  {
    name: 'a value that does not fit its column is rescued with the reason',
    fields: { age: 'unknown' },
    cells: {},
    rescue: { age: { value: 'unknown', reason: 'column is bigint, value is text' } },
  },
  {
    name: 'a field without a column is rescued; a null carries nothing to keep',
    fields: { extra: 'x', empty: null },
    cells: {},
    rescue: { extra: { value: 'x', reason: 'no column for this field' } },
  },
  {
    name: 'a field name repeated by flattening is rescued as its second occurrence, hashed when personal data',
    fields: { id: 1 },
    collisions: [
      { field: 'celular', value: '+5581999990001' },
      { field: 'note', value: 'n' },
    ],
    cells: { p_id: { type: 'bigint', text: '1' } },
    rescue: {
      'celular#2': { value: hash('+5581999990001'), reason: 'the same field name appears twice after flattening' },
      'note#3': { value: 'n', reason: 'the same field name appears twice after flattening' },
    },
  },
  {
    name: 'personal data rescued from a non-PII column is hashed: by the value (an e-mail in a bigint column)',
    fields: { age: 'ana@example.com' },
    cells: {},
    rescue: { age: { value: hash('ana@example.com'), reason: 'column is bigint, value is text' } },
  },
  {
    name: 'personal data without a column is hashed: by the field name (nested too) and by the value',
    fields: { 'customer.email': 'not-an-email', contact: '+5581999990000', other: 'plain' },
    cells: {},
    rescue: {
      'customer.email': { value: hash('not-an-email'), reason: 'no column for this field' },
      contact: { value: hash('+5581999990000'), reason: 'no column for this field' },
      other: { value: 'plain', reason: 'no column for this field' },
    },
  },
  {
    name: 'a non-text PII value without a column is hashed as its JSON text',
    fields: { cpf: 12345678901 },
    cells: {},
    rescue: { cpf: { value: hash(12345678901), reason: 'no column for this field' } },
  },
];

describe('toLoadRow: (schema, row) → cells and rescue', () => {
  it.each(cases)('$name', ({ fields, collisions, cells, rescue }) => {
    const row = toLoadRow(message, 4, new Map(Object.entries(fields)), collisions ?? [], schema, hasher);
    expect(Object.fromEntries(row.cells)).toEqual(cells);
    expect(row.rescue === null ? null : JSON.parse(row.rescue)).toEqual(rescue);
    expect(row).toMatchObject({ messageId: 'm1', rowId: 4, tenantId: 't', sequence: '7', credential: 'connection:c' });
  });
});

describe('lastWritePerKey: MERGE gets one source row per key, the latest', () => {
  const row = (key: string | null, rowId: number) => ({
    ...toLoadRow(message, rowId, new Map(key === null ? [] : [['id', Number(key)]]), [], schema, hasher),
  });
  it.each([
    { name: 'the later row of a key wins, keys keep their last position', rows: [row('1', 0), row('2', 1), row('1', 2)], kept: [1, 2] },
    { name: 'rows without a key are all kept', rows: [row(null, 0), row(null, 1)], kept: [0, 1] },
  ])('$name', ({ rows, kept }) => {
    expect(lastWritePerKey('p_id', rows).map((r) => r.rowId)).toEqual(kept);
  });
});
