// Schema contracts end to end (issue 14): a table landed under `evolve`, its contract set, then a drifting payload
// pushed through the real Worker and landed by the same real processor (its cached schema must see the change) — on
// DuckDB and on Trino/Iceberg. evolve: the column is added; freeze: values in the rescue column, no new column, the
// version unmoved; quarantine: the drifting rows in the quarantine table with the reason and message id, personal
// data hashed, the good rows of the same message landed, a re-drive never duplicating a row.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { setPolicy, type SchemaContract } from '../../../processor/governance/policies.ts';
import { quarantineTableName } from '../../../processor/governance/quarantine-table.ts';
import { redriveMessages } from '../../../processor/queue/redrive.ts';
import { db, describeEachWarehouse, newConnection, piiHash, push, type TestWarehouse } from './support.ts';

afterAll(() => db.end());

const DRIFT = [
  { id: 2, name: 'Bia', amount: 20, coupon: 'SAVE10', email: 'bia@example.com' }, // two new fields
  { id: 3, name: 'Caio', amount: 30 }, // fits
  { id: 4, name: 'Duda', amount: 'lots' }, // does not fit its bigint column
];

async function version(tenant: string, table: string): Promise<number> {
  const { rows } = await db.query<{ v: number }>('SELECT schema_version AS v FROM boitata_tables WHERE tenant_id = $1 AND table_name = $2', [tenant, table]);
  return rows[0]!.v;
}

/** A table landed under evolve, then its contract set; returns the processor (its cache warm) and the drift's message id. */
async function drifted(wh: TestWarehouse, contract: SchemaContract, table: string) {
  const conn = await newConnection();
  const processor = wh.processor([conn.tenant]);
  await push(conn, [{ id: 1, name: 'Ana', amount: 10 }], table);
  await processor.drain();
  const before = await version(conn.tenant, table);
  await setPolicy(db, conn.tenant, table, { contract }, 'contracts test');
  const response = await push(conn, DRIFT, table);
  const messageId = ((await response.json()) as { message_id: string }).message_id;
  await processor.drain();
  return { conn, processor, before, messageId };
}

describeEachWarehouse('schema contracts', (wh) => {
  it('evolve: the drifting fields become columns', async () => {
    const { conn } = await drifted(wh, 'evolve', 'orders');
    expect(await wh.columnTypes(conn.tenant, 'orders')).toMatchObject({ coupon: 'varchar', email: 'varchar' });
    const rows = await wh.query(`SELECT id, coupon, email FROM ${wh.table(conn.tenant, 'orders')} WHERE id = 2`);
    expect(rows).toEqual([{ id: 2, coupon: 'SAVE10', email: piiHash(conn.tenant, 'bia@example.com') }]);
  });

  it('freeze: no new column, the schema version unmoved, the values in the rescue column with the reason', async () => {
    const { conn, before } = await drifted(wh, 'freeze', 'orders');
    const columns = await wh.columnTypes(conn.tenant, 'orders');
    expect(columns).not.toHaveProperty('coupon');
    expect(columns).not.toHaveProperty('email');
    expect(await version(conn.tenant, 'orders')).toBe(before);
    const rows = await wh.query(`SELECT id, amount, _boitata_rescue FROM ${wh.table(conn.tenant, 'orders')} ORDER BY id`);
    expect(rows.map((row) => ({ ...row, _boitata_rescue: row['_boitata_rescue'] === null ? null : JSON.parse(String(row['_boitata_rescue'])) }))).toEqual([
      { id: 1, amount: 10, _boitata_rescue: null },
      {
        id: 2,
        amount: 20,
        _boitata_rescue: {
          coupon: { value: 'SAVE10', reason: 'contract freeze: no column for this field' },
          email: { value: piiHash(conn.tenant, 'bia@example.com'), reason: 'contract freeze: no column for this field' },
        },
      },
      { id: 3, amount: 30, _boitata_rescue: null },
      { id: 4, amount: null, _boitata_rescue: { amount: { value: 'lots', reason: 'column is bigint, value is text' } } },
    ]);
    expect(await wh.tables(conn.tenant)).toEqual(['orders']);
  });

  it('quarantine: drifting rows go whole to the quarantine, the good rows of the same message land, each once', async () => {
    const table = `orders_${randomUUID().slice(0, 6)}`;
    const { conn, processor, messageId } = await drifted(wh, 'quarantine', table);
    const quarantine = quarantineTableName(table);
    expect(await wh.tables(conn.tenant)).toEqual([quarantine, table].sort());
    expect(await wh.columnTypes(conn.tenant, table)).not.toHaveProperty('coupon');
    expect(await wh.query(`SELECT id, _boitata_rescue FROM ${wh.table(conn.tenant, table)} ORDER BY id`)).toEqual([
      { id: 1, _boitata_rescue: null },
      { id: 3, _boitata_rescue: null },
    ]);
    const quarantined = async () =>
      (
        await wh.query(
          `SELECT _boitata_message_id, _boitata_row_id, _boitata_tenant_id, _boitata_quarantine_reason, _boitata_row
             FROM ${wh.table(conn.tenant, quarantine)} ORDER BY _boitata_row_id`,
        )
      ).map((row) => ({ ...row, _boitata_row: JSON.parse(String(row['_boitata_row'])) as unknown }));
    const expected = [
      {
        _boitata_message_id: messageId,
        _boitata_row_id: 0,
        _boitata_tenant_id: conn.tenant,
        // Fields in the order the stored payload keeps them (jsonb: shorter keys first).
        _boitata_quarantine_reason: 'contract quarantine: field "email" has no column; field "coupon" has no column',
        _boitata_row: { id: 2, name: 'Bia', amount: 20, coupon: 'SAVE10', email: piiHash(conn.tenant, 'bia@example.com') },
      },
      {
        _boitata_message_id: messageId,
        _boitata_row_id: 2,
        _boitata_tenant_id: conn.tenant,
        _boitata_quarantine_reason: 'contract quarantine: field "amount": column amount is bigint, value is varchar',
        _boitata_row: { id: 4, name: 'Duda', amount: 'lots' },
      },
    ];
    expect(await quarantined()).toEqual(expected);
    expect(JSON.stringify(await quarantined())).not.toContain('bia@example.com');
    // The sender's receipt says where the rows went.
    const { rows: queue } = await db.query<{ landed: unknown }>('SELECT landed FROM boitata_inbound_queue WHERE message_id = $1', [messageId]);
    expect(queue[0]!.landed).toEqual(
      expect.arrayContaining([expect.objectContaining({ table, rows: 1 }), expect.objectContaining({ table: quarantine, rows: 2 })]),
    );

    // Re-driven under the same contract: the same rows quarantined again, replaced, never added twice.
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    await redriveMessages(db, { tenantId: conn.tenant, since, until, table: null });
    await processor.drain();
    expect(await quarantined()).toEqual(expected);
    expect(await wh.query(`SELECT id FROM ${wh.table(conn.tenant, table)} ORDER BY id`)).toEqual([{ id: 1 }, { id: 3 }]);

    // After the contract goes back to evolve, a re-drive lands every row of the table once (a new column, a rescue).
    await setPolicy(db, conn.tenant, table, { contract: 'evolve' }, 'contracts test');
    await redriveMessages(db, { tenantId: conn.tenant, since, until, table: null });
    await processor.drain();
    expect(await wh.query(`SELECT id, coupon FROM ${wh.table(conn.tenant, table)} ORDER BY id`)).toEqual([
      { id: 1, coupon: null },
      { id: 2, coupon: 'SAVE10' },
      { id: 3, coupon: null },
      { id: 4, coupon: null },
    ]);
  });

  it("a tenant default's change reaches a processor's cached schema even when the batch needs no evolution", async () => {
    const conn = await newConnection();
    const processor = wh.processor([conn.tenant]);
    await push(conn, [{ id: 1, amount: 10 }], 'ledger');
    await processor.drain();
    await setPolicy(db, conn.tenant, '', { contract: 'quarantine' }, 'contracts test');
    await push(conn, [{ id: 2, amount: 'lots' }], 'ledger'); // no column to add, no widening: only the contract differs
    await processor.drain();
    expect(await wh.query(`SELECT id FROM ${wh.table(conn.tenant, 'ledger')}`)).toEqual([{ id: 1 }]);
    expect(await wh.query(`SELECT _boitata_row FROM ${wh.table(conn.tenant, quarantineTableName('ledger'))}`)).toEqual([
      { _boitata_row: JSON.stringify({ id: 2, amount: 'lots' }) },
    ]);
  });

  it('a tenant default applies to every table, a table of its own is still created from its first batch', async () => {
    const conn = await newConnection();
    await setPolicy(db, conn.tenant, '', { contract: 'freeze' }, 'contracts test');
    const processor = wh.processor([conn.tenant]);
    await push(conn, [{ id: 1, note: 'first' }], 'fresh');
    await processor.drain();
    await push(conn, [{ id: 2, note: 'second', extra: 'x' }], 'fresh');
    await processor.drain();
    expect(Object.keys(await wh.columnTypes(conn.tenant, 'fresh'))).toEqual(expect.arrayContaining(['id', 'note']));
    expect(await wh.columnTypes(conn.tenant, 'fresh')).not.toHaveProperty('extra');
    const [row] = await wh.query(`SELECT _boitata_rescue FROM ${wh.table(conn.tenant, 'fresh')} WHERE id = 2`);
    expect(JSON.parse(String(row!['_boitata_rescue']))).toEqual({ extra: { value: 'x', reason: 'contract freeze: no column for this field' } });
  });
});
