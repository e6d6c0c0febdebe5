// The warehouse port's contract for rows, against DuckDB (always) and Trino/Iceberg (when reachable): every type
// round-tripped, failures classified, landed rows found, merges by item key, PII replaced in place, maintenance.
import { expect, it } from 'vitest';
import type { ColumnType } from '../../../processor/schema/column-types.ts';
import { WarehouseError, type LoadRow } from '../../../processor/warehouse/warehouse.ts';
import { describeContract } from './contract-suite.ts';
import { loadRow, newTenant, q, TS } from './subjects.ts';

describeContract('rows', (subject, { warehouse, freshTable, rowsOf }) => {
  it('round-trips every type, NULLs and hostile text through insertRows', async () => {
    const types = new Map<string, ColumnType>([
      ['flag', 'boolean'],
      ['n', 'bigint'],
      ['x', 'double'],
      ['label', 'varchar'],
      ['day', 'date'],
      ['at', TS],
    ]);
    const ref = await freshTable(types);
    const hostile = `it's "quoted" \\ back\nnew line ação 🦆 '; DROP TABLE x; --`;
    const samples: Array<Record<string, unknown>> = [
      { flag: true, n: 9_007_199_254_740_991, x: 0.1, label: hostile, day: '2024-02-29', at: '2026-06-12T10:00:00.123456+05:30' },
      { flag: false, n: -(2 ** 63), x: -1.5e300, label: '', day: '1970-01-01', at: '2025-12-31T23:30:00-03:00' },
      { flag: true, n: 2 ** 62, x: 5e-324, label: 'ok', day: '2000-01-31', at: '2026-06-12T10:00:00.1234567+0530' },
      { flag: true, n: 2 ** 53, x: 3.141592653589793, label: 'zulu', day: '2026-06-12', at: '2026-01-01T00:00:00Z' },
      { flag: null, n: null, x: null, label: null, day: null, at: null },
      {}, // absent fields: NULL too
    ];
    await warehouse.insertRows(
      ref,
      samples.map((fields, rowId) => loadRow(types, fields, { messageId: 'm1', rowId })),
      types,
    );
    const rows = await rowsOf(
      `SELECT _boitata_row_id, flag, CAST(n AS varchar), x, label, CAST(day AS varchar), ${subject.utcText(q('at'))}, ${subject.utcText('_boitata_received_at')} ` +
        `FROM ${subject.name(ref)} ORDER BY _boitata_row_id`,
    );
    const received = '2026-06-12 04:30:00.123456';
    expect(rows).toEqual([
      [0, true, '9007199254740991', 0.1, hostile, '2024-02-29', '2026-06-12 04:30:00.123456', received],
      [1, false, '-9223372036854775808', -1.5e300, '', '1970-01-01', '2026-01-01 02:30:00.000000', received],
      [2, true, '4611686018427387904', 5e-324, 'ok', '2000-01-31', '2026-06-12 04:30:00.123456', received],
      [3, true, '9007199254740992', 3.141592653589793, 'zulu', '2026-06-12', '2026-01-01 00:00:00.000000', received],
      [4, null, null, null, null, null, null, received],
      [5, null, null, null, null, null, null, received],
    ]);
  });

  it('writes the metadata and the rescue column text as given', async () => {
    const types = new Map<string, ColumnType>([['a', 'varchar']]);
    const ref = await freshTable(types);
    const rescue = JSON.stringify({ 'odd field': { value: "it's [1,2]", reason: 'column is bigint, value is text' } });
    await warehouse.insertRows(ref, [loadRow(types, { a: 'x' }, { messageId: 'msg-1', rowId: 3, sequence: '9007199254740993', rescue })], types);
    expect(
      await rowsOf(
        `SELECT _boitata_message_id, _boitata_row_id, _boitata_tenant_id, _boitata_endpoint, CAST(_boitata_sequence AS varchar), _boitata_rescue FROM ${subject.name(ref)}`,
      ),
    ).toEqual([['msg-1', 3, 'contract', 'contract-endpoint', '9007199254740993', rescue]]);
  });

  it('refuses a value that does not fit its column as permanent, writing nothing of the batch', async () => {
    const types = new Map<string, ColumnType>([['small', 'integer']]);
    const ref = await freshTable(types);
    const good = loadRow(types, { small: 1 }, { messageId: 'good' });
    const bad: LoadRow = { ...loadRow(types, {}, { messageId: 'bad' }), cells: new Map([['small', { type: 'integer', text: '99999999999' }]]) };
    const failure = await warehouse.insertRows(ref, [good, bad], types).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WarehouseError);
    expect((failure as WarehouseError).kind).toBe('permanent');
    expect(await rowsOf(`SELECT count(*) FROM ${subject.name(ref)}`)).toEqual([[0]]);
  });

  it('reports a write to a missing table as transient (the table may come back; the data is fine)', async () => {
    const types = new Map<string, ColumnType>([['a', 'varchar']]);
    const ref = warehouse.tableRef(newTenant(), 'missing');
    await warehouse.ensureSchema(ref);
    const failure = await warehouse.insertRows(ref, [loadRow(types, { a: 'x' }, { messageId: 'm' })], types).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WarehouseError);
    expect((failure as WarehouseError).kind).toBe('transient');
  });

  it('finds exactly the (message, row) pairs already landed', async () => {
    const types = new Map<string, ColumnType>([['a', 'varchar']]);
    const ref = await freshTable(types);
    const rows = [
      loadRow(types, { a: 'x' }, { messageId: 'm1', rowId: 0 }),
      loadRow(types, { a: 'y' }, { messageId: 'm1', rowId: 1 }),
      loadRow(types, { a: 'z' }, { messageId: 'm1', rowId: 2 }),
      loadRow(types, { a: 'w' }, { messageId: 'm2', rowId: 0 }),
      loadRow(types, { a: 'q' }, { messageId: "m'3", rowId: 0 }),
    ];
    await warehouse.insertRows(ref, rows, types);
    const asked = ['m1', "m'3", 'never', ...Array.from({ length: 600 }, (_, i) => `other-${i}`)];
    expect([...(await warehouse.landedRows(ref, asked))].sort()).toEqual(["m'3:0", 'm1:0', 'm1:1', 'm1:2']);
    expect(await warehouse.landedRows(ref, ['never'])).toEqual(new Set());
  });

  it('merges on the item key: inserts new keys, updates existing ones, and an older sequence never overwrites a newer one', async () => {
    const types = new Map<string, ColumnType>([
      ['id', 'varchar'],
      ['status', 'varchar'],
      ['amount', 'bigint'],
    ]);
    const ref = await freshTable(types, 'items');
    const item = (fields: Record<string, unknown>, sequence: string) => loadRow(types, fields, { messageId: `m${sequence}`, sequence });
    const read = () => rowsOf(`SELECT id, status, amount, CAST(_boitata_sequence AS varchar) FROM ${subject.name(ref)} ORDER BY id`);

    await warehouse.mergeRows(ref, 'id', [item({ id: 'a', status: 'new', amount: 1 }, '10'), item({ id: 'b', status: 'new', amount: 2 }, '10')], types);
    expect(await read()).toEqual([
      ['a', 'new', 1, '10'],
      ['b', 'new', 2, '10'],
    ]);

    // An update replaces the item with its latest version: a field it no longer carries becomes NULL.
    await warehouse.mergeRows(ref, 'id', [item({ id: 'a', status: 'paid' }, '11'), item({ id: 'c', status: 'new', amount: 3 }, '11')], types);
    expect(await read()).toEqual([
      ['a', 'paid', null, '11'],
      ['b', 'new', 2, '10'],
      ['c', 'new', 3, '11'],
    ]);

    // A re-delivered older message: b was written by sequence 10, this is 5.
    await warehouse.mergeRows(ref, 'id', [item({ id: 'b', status: 'stale', amount: 0 }, '5'), item({ id: 'a', status: 'refunded', amount: 7 }, '11')], types);
    expect(await read()).toEqual([
      ['a', 'refunded', 7, '11'],
      ['b', 'new', 2, '10'],
      ['c', 'new', 3, '11'],
    ]);
  });

  it('lists values not hashed yet and replaces them in place', async () => {
    const types = new Map<string, ColumnType>([['email', 'varchar']]);
    const ref = await freshTable(types);
    const hashed = 'a'.repeat(64);
    const values = ['alice@example.com', "o'brien@example.com", 'alice@example.com', null, hashed];
    await warehouse.insertRows(
      ref,
      values.map((email, rowId) => loadRow(types, { email }, { messageId: 'm', rowId })),
      types,
    );
    expect((await warehouse.unhashedValues(ref, 'email', 10)).sort()).toEqual(['alice@example.com', "o'brien@example.com"]);
    expect(await warehouse.unhashedValues(ref, 'email', 1)).toHaveLength(1);
    const mapping = new Map([
      ['alice@example.com', 'b'.repeat(64)],
      ["o'brien@example.com", 'c'.repeat(64)],
    ]);
    await warehouse.replaceValues(ref, 'email', mapping);
    expect(await warehouse.unhashedValues(ref, 'email', 10)).toEqual([]);
    expect(await rowsOf(`SELECT email FROM ${subject.name(ref)} ORDER BY _boitata_row_id`)).toEqual([
      ['b'.repeat(64)],
      ['c'.repeat(64)],
      ['b'.repeat(64)],
      [null],
      [hashed],
    ]);
  });

  it('runs maintenance on a table with rows', async () => {
    const types = new Map<string, ColumnType>([['a', 'varchar']]);
    const ref = await freshTable(types);
    await warehouse.insertRows(ref, [loadRow(types, { a: 'x' }, { messageId: 'm1' })], types);
    await warehouse.insertRows(ref, [loadRow(types, { a: 'y' }, { messageId: 'm2' })], types);
    // Two inserts are two data files on Iceberg; maintenance compacts them into one (a maintain that did nothing
    // passed this test before, which only counted the rows).
    if (subject.dataFiles !== undefined) expect(await subject.dataFiles(warehouse, ref)).toBe(2);
    await warehouse.maintain(ref);
    expect(await rowsOf(`SELECT count(*) FROM ${subject.name(ref)}`)).toEqual([[2]]);
    if (subject.dataFiles !== undefined) expect(await subject.dataFiles(warehouse, ref)).toBe(1);
  });

  it('takes writes to different tables from concurrent callers', async () => {
    const types = new Map<string, ColumnType>([['n', 'bigint']]);
    const refs = await Promise.all([0, 1, 2].map(() => freshTable(types)));
    await Promise.all(
      refs.map((ref, i) =>
        warehouse.insertRows(
          ref,
          Array.from({ length: 50 }, (_, rowId) => loadRow(types, { n: rowId * i }, { messageId: `m${i}`, rowId })),
          types,
        ),
      ),
    );
    for (const ref of refs) expect(await rowsOf(`SELECT count(*) FROM ${subject.name(ref)}`)).toEqual([[50]]);
  });
});
