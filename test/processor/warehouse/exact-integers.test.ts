// Issue 10, the processor's schema side, end to end (the real Worker, processor and warehouse): integers beyond
// 2^53 land exactly, a field lands where its own message would put it whatever else its batch holds, the column cap, year 0000.
import { afterAll, expect, it } from 'vitest';
import { MAX_COLUMNS_PER_TABLE } from '../../../shared/ingest-limits.ts';
import { db, describeEachWarehouse, newConnection, push, webhook } from './support.ts';

afterAll(() => db.end());

describeEachWarehouse('exact integers and schema decisions', (wh) => {
  const dataColumns = async (tenant: string, table: string) =>
    Object.fromEntries(Object.entries(await wh.columnTypes(tenant, table)).filter(([name]) => !name.startsWith('_boitata_')));

  it('upserts two items whose X-Item-Key values differ only beyond 2^53 as two rows, with their exact keys', async () => {
    const conn = await newConnection();
    await webhook(conn, 'items', '[{"k":9007199254740993,"v":1},{"k":9007199254740992,"v":2}]', { 'x-item-key': 'k' });
    await wh.processor([conn.tenant]).drain();

    expect(await dataColumns(conn.tenant, 'items')).toEqual({ k: 'bigint', v: 'bigint' });
    expect(await wh.query(`SELECT CAST(k AS varchar) AS k, v FROM ${wh.table(conn.tenant, 'items')} ORDER BY k`)).toEqual([
      { k: '9007199254740992', v: 2 },
      { k: '9007199254740993', v: 1 },
    ]);
  });

  it('types a field first seen beyond 64 bits decimal(38,0) and lands it exactly; rescues such a value bound for a bigint column as its digits', async () => {
    const conn = await newConnection();
    await push(conn, '[{"id":1,"wide":18446744073709551616,"n":9223372036854775807,"text":"9007199254740993 as text"}]', 'numbers');
    await wh.processor([conn.tenant]).drain();
    await push(conn, '[{"id":2,"wide":99999999999999999999999999999999999999,"n":18446744073709551617,"text":12345678901234567890123}]', 'numbers');
    await wh.processor([conn.tenant]).drain();

    expect(await dataColumns(conn.tenant, 'numbers')).toEqual({ id: 'bigint', wide: 'decimal(38,0)', n: 'bigint', text: 'varchar' });
    expect(
      await wh.query(
        `SELECT id, CAST(wide AS varchar) AS wide, CAST(n AS varchar) AS n, text, _boitata_rescue FROM ${wh.table(conn.tenant, 'numbers')} ORDER BY id`,
      ),
    ).toEqual([
      { id: 1, wide: '18446744073709551616', n: '9223372036854775807', text: '9007199254740993 as text', _boitata_rescue: null },
      {
        id: 2,
        wide: '99999999999999999999999999999999999999',
        n: null,
        text: '12345678901234567890123',
        _boitata_rescue:
          '{"n":{"value":18446744073709551617,"reason":"18446744073709551617 is out of range for bigint (beyond 64 bits; a bigint column cannot become a decimal)"}}',
      },
    ]);
  });

  // The issue: against {id, name}, `[{"id":2,"NAME":"y"}]` was aliased to name alone, but became a column name_2
  // when `[{"id":3,"name":"z"}]` shared its batch. Fields are resolved per message (payload), in queue order.
  it.each([
    ['NAME first', [{ id: 2, NAME: 'y' }], [{ id: 3, name: 'z' }]],
    ['name first', [{ id: 3, name: 'z' }], [{ id: 2, NAME: 'y' }]],
  ])('aliases NAME onto name when another message of the same batch fills name (%s), as when each lands alone', async (_order, first, second) => {
    const land = async (oneBatch: boolean) => {
      const conn = await newConnection();
      const processor = wh.processor([conn.tenant]);
      await push(conn, [{ id: 1, name: 'x' }], 'people');
      await processor.drain();
      await push(conn, first, 'people');
      if (!oneBatch) await processor.drain();
      await push(conn, second, 'people');
      const [claim] = await processor.drain();
      const { rows: aliases } = await db.query('SELECT alias, column_name, decided_by FROM boitata_aliases WHERE tenant_id = $1', [conn.tenant]);
      return {
        claimed: claim!.claimed,
        columns: Object.keys(await dataColumns(conn.tenant, 'people')).sort(),
        rows: await wh.query(`SELECT id, name, _boitata_rescue FROM ${wh.table(conn.tenant, 'people')} ORDER BY id`),
        aliases,
      };
    };
    const together = await land(true);
    expect(together.claimed).toBe(2); // both messages in one batch
    expect(together).toEqual({
      claimed: 2,
      columns: ['id', 'name'],
      rows: [
        { id: 1, name: 'x', _boitata_rescue: null },
        { id: 2, name: 'y', _boitata_rescue: null },
        { id: 3, name: 'z', _boitata_rescue: null },
      ],
      aliases: [{ alias: 'NAME', column_name: 'name', decided_by: 'typo' }],
    });
    const alone = await land(false);
    expect({ ...alone, claimed: 2 }).toEqual(together);
  });

  it('gives NAME its own column when its own payload fills name (full coverage)', async () => {
    const conn = await newConnection();
    await push(conn, [{ id: 1, name: 'x' }], 'people');
    await wh.processor([conn.tenant]).drain();
    await push(
      conn,
      [
        { id: 2, NAME: 'y' },
        { id: 3, name: 'z' },
      ],
      'people',
    );
    await wh.processor([conn.tenant]).drain();

    expect(Object.keys(await dataColumns(conn.tenant, 'people')).sort()).toEqual(['id', 'name', 'name_2']);
    const { rows } = await db.query(
      `SELECT logical_name, physical_name, (SELECT count(*)::int FROM boitata_aliases a WHERE a.tenant_id = c.tenant_id) AS aliases
         FROM boitata_columns c WHERE tenant_id = $1 AND logical_name = 'NAME'`,
      [conn.tenant],
    );
    expect(rows).toEqual([{ logical_name: 'NAME', physical_name: 'name_2', aliases: 0 }]);
    expect(await wh.query(`SELECT id, name, name_2, _boitata_rescue FROM ${wh.table(conn.tenant, 'people')} ORDER BY id`)).toEqual([
      { id: 1, name: 'x', name_2: null, _boitata_rescue: null },
      { id: 2, name: null, name_2: 'y', _boitata_rescue: null },
      { id: 3, name: 'z', name_2: null, _boitata_rescue: null },
    ]);
  });

  it('accepts 0000-02-29 as a date (year 0 is a leap year)', async () => {
    const conn = await newConnection();
    await push(
      conn,
      [
        { id: 1, born: '0000-02-29' },
        { id: 2, born: '0004-02-29' },
      ],
      'dates',
    );
    await wh.processor([conn.tenant]).drain();

    expect(await dataColumns(conn.tenant, 'dates')).toEqual({ id: 'bigint', born: 'date' });
    const rows = await wh.query(
      `SELECT id, year(born) AS y, month(born) AS m, day(born) AS d, _boitata_rescue FROM ${wh.table(conn.tenant, 'dates')} ORDER BY id`,
    );
    // DuckDB and Trino both count in the proleptic Gregorian calendar; DuckDB's year() says 0 for 1 BC as well.
    expect(rows.map((row) => ({ ...row, y: Number(row['y']), m: Number(row['m']), d: Number(row['d']) }))).toEqual([
      { id: 1, y: 0, m: 2, d: 29, _boitata_rescue: null },
      { id: 2, y: 4, m: 2, d: 29, _boitata_rescue: null },
    ]);
  });

  it(`stops a table at ${MAX_COLUMNS_PER_TABLE} data columns and rescues the fields past it with the reason`, async () => {
    const conn = await newConnection();
    const wide = Object.fromEntries(Array.from({ length: MAX_COLUMNS_PER_TABLE }, (_, i) => [`f${String(i).padStart(4, '0')}`, i]));
    await push(conn, [wide, { f0000: -1, zzz: 'past the cap' }], 'wide');
    await wh.processor([conn.tenant]).drain();
    await push(conn, [{ f0001: -2, aaa: 'also past it' }], 'wide');
    await wh.processor([conn.tenant]).drain();

    const reason = `table reached its ${MAX_COLUMNS_PER_TABLE}-column limit`;
    expect(Object.keys(await dataColumns(conn.tenant, 'wide'))).toHaveLength(MAX_COLUMNS_PER_TABLE);
    expect(
      await wh.query(`SELECT f0000, f0001, f0999, _boitata_rescue FROM ${wh.table(conn.tenant, 'wide')} ORDER BY _boitata_sequence, _boitata_row_id`),
    ).toEqual([
      { f0000: 0, f0001: 1, f0999: 999, _boitata_rescue: null },
      { f0000: -1, f0001: null, f0999: null, _boitata_rescue: JSON.stringify({ zzz: { value: 'past the cap', reason } }) },
      { f0000: null, f0001: -2, f0999: null, _boitata_rescue: JSON.stringify({ aaa: { value: 'also past it', reason } }) },
    ]);
    const { rows } = await db.query<{ n: string; version: number }>(
      `SELECT (SELECT count(*) FROM boitata_columns c WHERE c.tenant_id = t.tenant_id AND c.table_name = t.table_name) AS n, t.schema_version AS version
         FROM boitata_tables t WHERE t.tenant_id = $1 AND t.table_name = 'wide'`,
      [conn.tenant],
    );
    expect(rows).toEqual([{ n: String(MAX_COLUMNS_PER_TABLE), version: 1 }]); // the full table was not evolved again
  });
});
