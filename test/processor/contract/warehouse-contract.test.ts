// The warehouse port's contract: ONE list of behaviours, run against DuckDB (always) and Trino/Iceberg (when reachable).
// This file: tables and columns — describe, create, add, widen, comment, tenants apart, names quoted. The rows:
// warehouse-contract-rows.test.ts; what the credential and the provider proved: warehouse-contract-provenance.test.ts.
import { expect, it } from 'vitest';
import { columnType, type ColumnType } from '../../../processor/schema/column-types.ts';
import { columnsOf, describeContract, METADATA } from './contract-suite.ts';
import { loadRow, newTenant, q, TS } from './subjects.ts';

describeContract('tables and columns', (subject, { warehouse, freshTable, rowsOf }) => {
  it('describes a missing table as null, in a missing schema and in an existing one', async () => {
    const ref = warehouse.tableRef(newTenant(), 'nothing_here');
    expect(await warehouse.describeTable(ref)).toBeNull();
    await warehouse.ensureSchema(ref);
    expect(await warehouse.describeTable(ref)).toBeNull();
  });

  it('creates a table with the metadata columns and reports every type in the port vocabulary', async () => {
    const types = new Map<string, ColumnType>([
      ['flag', 'boolean'],
      ['n', 'bigint'],
      ['x', 'double'],
      ['label', 'varchar'],
      ['day', 'date'],
      ['at', TS],
      ['small', 'integer'],
      ['ratio', 'real'],
      ['price', 'decimal(10,2)'],
    ]);
    const ref = await freshTable(types);
    expect([...(await warehouse.describeTable(ref))!]).toEqual([...METADATA, ...types]);
    await warehouse.createTable(ref, columnsOf(types)); // IF NOT EXISTS: a second create is harmless
  });

  it('refuses to render a column type Boitatá never writes', async () => {
    const ref = warehouse.tableRef(newTenant(), 'refused');
    await expect(warehouse.createTable(ref, [{ physical: 'a', type: columnType('varchar); DROP TABLE x; --') }])).rejects.toThrow(/unexpected column type/);
  });

  it('adds a column, and adding it again is harmless', async () => {
    const ref = await freshTable(new Map([['a', 'varchar']]));
    await warehouse.applyChange(ref, { kind: 'add_column', logical: 'b', physical: 'b', type: 'bigint' });
    await warehouse.applyChange(ref, { kind: 'add_column', logical: 'b', physical: 'b', type: 'bigint' });
    expect((await warehouse.describeTable(ref))!.get('b')).toBe('bigint');
  });

  it('adds the metadata columns an adopted table lacks', async () => {
    const ref = await freshTable(new Map([['a', 'varchar']]));
    await warehouse.ensureMetadataColumns(ref, new Set(METADATA.map(([name]) => name)));
    expect([...(await warehouse.describeTable(ref))!.keys()]).toEqual([...METADATA.map(([name]) => name), 'a']);
  });

  it('widens integer → bigint, real → double and decimal precision, keeping the values', async () => {
    const types = new Map<string, ColumnType>([
      ['count', 'integer'],
      ['ratio', 'real'],
      ['price', 'decimal(5,2)'],
    ]);
    const ref = await freshTable(types);
    await warehouse.insertRows(ref, [loadRow(types, { count: 2_000_000_000, ratio: 1.5, price: 123.45 }, { messageId: 'm1' })], types);
    await warehouse.applyChange(ref, { kind: 'widen_column', logical: 'count', physical: 'count', from: 'integer', to: 'bigint' });
    await warehouse.applyChange(ref, { kind: 'widen_column', logical: 'ratio', physical: 'ratio', from: 'real', to: 'double' });
    await warehouse.applyChange(ref, { kind: 'widen_column', logical: 'price', physical: 'price', from: 'decimal(5,2)', to: 'decimal(10,2)' });
    const widened = (await warehouse.describeTable(ref))!;
    expect([widened.get('count'), widened.get('ratio'), widened.get('price')]).toEqual(['bigint', 'double', 'decimal(10,2)']);
    const now = new Map<string, ColumnType>([
      ['count', 'bigint'],
      ['ratio', 'double'],
      ['price', 'decimal(10,2)'],
    ]);
    await warehouse.insertRows(ref, [loadRow(now, { count: 9_000_000_000_000, ratio: 0.1, price: 12345678.9 }, { messageId: 'm2' })], now);
    expect(await rowsOf(`SELECT CAST(count AS varchar), ratio, CAST(price AS varchar) FROM ${subject.name(ref)} ORDER BY _boitata_message_id`)).toEqual([
      ['2000000000', 1.5, '123.45'],
      ['9000000000000', 0.1, '12345678.90'],
    ]);
  });

  it('sets a column comment the catalog shows', async () => {
    const ref = await freshTable(new Map([['email', 'varchar']]));
    expect(await subject.readComment(warehouse, ref, 'email')).toBeNull();
    await warehouse.commentColumn(ref, 'email', 'The customer\'s e-mail address; "PII".');
    expect(await subject.readComment(warehouse, ref, 'email')).toBe('The customer\'s e-mail address; "PII".');
  });

  it('keeps tenants apart: the same table name in two tenants is two tables', async () => {
    const [first, second] = [warehouse.tableRef(newTenant(), 'shared'), warehouse.tableRef(newTenant(), 'shared')];
    expect(first.schema).not.toBe(second.schema);
    const a = new Map<string, ColumnType>([['a', 'varchar']]);
    const b = new Map<string, ColumnType>([['b', 'bigint']]);
    await warehouse.createTable(first, columnsOf(a));
    await warehouse.createTable(second, columnsOf(b));
    await warehouse.insertRows(first, [loadRow(a, { a: 'only here' }, { messageId: 'm' })], a);
    expect((await warehouse.describeTable(first))!.has('b')).toBe(false);
    expect((await warehouse.describeTable(second))!.get('b')).toBe('bigint');
    expect(await rowsOf(`SELECT count(*) FROM ${subject.name(second)}`)).toEqual([[0]]);
  });

  // Lowercase: Trino folds identifiers to lowercase (physical names are lowercase for that reason).
  it('quotes identifiers: quotes, spaces and SQL in table and column names are only names', async () => {
    const column = `co"l 'x"; drop table y; --`;
    const types = new Map<string, ColumnType>([
      [column, 'varchar'],
      ['plain', 'bigint'],
    ]);
    const ref = await freshTable(types, `we"ird 'tab le`);
    await warehouse.applyChange(ref, { kind: 'add_column', logical: 'also odd', physical: `also "odd"`, type: 'boolean' });
    const all = new Map<string, ColumnType>([...types, [`also "odd"`, 'boolean']]);
    await warehouse.insertRows(ref, [loadRow(all, { [column]: 'v', plain: 1, 'also "odd"': true }, { messageId: 'm' })], all);
    await warehouse.mergeRows(ref, column, [loadRow(all, { [column]: 'v', plain: 2 }, { messageId: 'm2', sequence: '2' })], all);
    await warehouse.commentColumn(ref, column, 'odd');
    expect([...(await warehouse.describeTable(ref))!.keys()].slice(-3)).toEqual([column, 'plain', 'also "odd"']);
    expect(await rowsOf(`SELECT ${q(column)}, plain, ${q('also "odd"')} FROM ${subject.name(ref)}`)).toEqual([['v', 2, null]]);
    expect(await warehouse.landedRows(ref, ['m2'])).toEqual(new Set(['m2:0']));
  });
});
