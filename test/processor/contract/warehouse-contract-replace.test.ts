// The warehouse port's contract for replaceRows (what a re-driven message writes), against DuckDB (always) and
// Trino/Iceberg (when reachable): a row replaces its earlier version by (message id, row id), whole, never duplicated.
import { expect, it } from 'vitest';
import type { ColumnType } from '../../../processor/schema/column-types.ts';
import { describeContract } from './contract-suite.ts';
import { loadRow, TS } from './subjects.ts';

describeContract('replacing rows', (subject, { warehouse, freshTable, rowsOf }) => {
  const types = new Map<string, ColumnType>([
    ['id', 'bigint'],
    ['city', 'varchar'],
    ['country', 'varchar'],
    ['at', TS],
  ]);
  const read = (ref: Parameters<typeof subject.name>[0]) =>
    rowsOf(
      `SELECT _boitata_message_id, _boitata_row_id, id, city, country, CAST(_boitata_sequence AS varchar), _boitata_rescue ` +
        `FROM ${subject.name(ref)} ORDER BY _boitata_message_id, _boitata_row_id`,
    );

  it('replaces each row whole by (message id, row id), adds the rows not there yet, and leaves other rows alone', async () => {
    const ref = await freshTable(types);
    await warehouse.insertRows(
      ref,
      [
        loadRow(types, { id: 1, country: 'Recife' }, { messageId: 'm1', rowId: 0, sequence: '7' }),
        loadRow(types, { id: 2, country: 'Olinda' }, { messageId: 'm1', rowId: 1, sequence: '7' }),
        loadRow(types, { id: 3, city: 'Natal', country: 'BR' }, { messageId: 'm2', rowId: 0, sequence: '8' }),
        // The same row id in another message is another row.
        loadRow(types, { id: 4, city: 'Caruaru' }, { messageId: "m'3", rowId: 1, sequence: '9' }),
      ],
      types,
    );

    // m1 again after an alias fix: the value moves to city, country (no longer filled) becomes NULL; the rescue too.
    // Row 2 of m1 never landed before (a crash between slices): it is added.
    const rescue = JSON.stringify({ odd: { value: 1, reason: 'test' } });
    const again = [
      loadRow(types, { id: 1, city: 'Recife' }, { messageId: 'm1', rowId: 0, sequence: '7', rescue }),
      loadRow(types, { id: 2, city: 'Olinda' }, { messageId: 'm1', rowId: 1, sequence: '7' }),
      loadRow(types, { id: 5, city: 'Paulista' }, { messageId: 'm1', rowId: 2, sequence: '7' }),
    ];
    await warehouse.replaceRows(ref, again, types);
    const expected = [
      ["m'3", 1, 4, 'Caruaru', null, '9', null],
      ['m1', 0, 1, 'Recife', null, '7', rescue],
      ['m1', 1, 2, 'Olinda', null, '7', null],
      ['m1', 2, 5, 'Paulista', null, '7', null],
      ['m2', 0, 3, 'Natal', 'BR', '8', null],
    ];
    expect(await read(ref)).toEqual(expected);

    // Written again (a crash after the write, before the acknowledgement): nothing changes, nothing doubles.
    await warehouse.replaceRows(ref, again, types);
    expect(await read(ref)).toEqual(expected);
  });

  it('replaces whatever the sequence says (the same message), and writes into a table with no earlier version', async () => {
    const ref = await freshTable(types);
    await warehouse.replaceRows(ref, [loadRow(types, { id: 1, city: 'a' }, { messageId: 'm', sequence: '50' })], types);
    await warehouse.replaceRows(ref, [loadRow(types, { id: 1, city: 'b' }, { messageId: 'm', sequence: '40' })], types);
    expect(await read(ref)).toEqual([['m', 0, 1, 'b', null, '40', null]]);
  });

  it('replaces many rows at once, as many as a write slice holds', async () => {
    const ref = await freshTable(types);
    const rows = (city: string) => Array.from({ length: 2_000 }, (_, rowId) => loadRow(types, { id: rowId, city }, { messageId: `m${rowId % 3}`, rowId }));
    await warehouse.insertRows(ref, rows('before'), types);
    await warehouse.replaceRows(ref, rows('after'), types);
    expect(await rowsOf(`SELECT city, count(*), count(DISTINCT id) FROM ${subject.name(ref)} GROUP BY city`)).toEqual([['after', 2_000, 2_000]]);
  });
});
