// Re-driving a table's quarantine end to end (`boitata quarantine redrive`): drifting rows pushed through the real
// Worker are quarantined by a real processor under the `quarantine` contract, in DuckDB and Trino/Iceberg; listed
// (counts and reasons, no values); a re-drive under the same contract quarantines them again and never loses one,
// even when the processor re-quarantines before the old rows are removed; after `evolve` they land once, the
// quarantine is emptied, a second re-drive finds nothing; a re-drive stopped half-way is finished by running it again;
// a message the queue pruned is reported and its rows left.
import { afterAll, expect, it } from 'vitest';
import { changePolicy } from '../../../processor/governance/change-policy.ts';
import { listQuarantines, type QuarantineWarehouse } from '../../../processor/governance/quarantine-listing.ts';
import { redriveQuarantine, type RedriveRequest } from '../../../processor/governance/quarantine-redrive.ts';
import { quarantineTableName } from '../../../processor/governance/quarantine-table.ts';
import { db, describeEachWarehouse, newConnection, push, settle, type TestWarehouse } from './support.ts';

afterAll(() => db.end());

describeEachWarehouse('quarantine redrive', (wh) => {
  const port: QuarantineWarehouse = { warehouse: wh.create(), dialect: wh.kind };
  afterAll(() => port.warehouse.close());

  const count = async (tenant: string, table: string) => {
    const [row] = await wh.query(
      `SELECT count(*) AS n, count(DISTINCT _boitata_message_id || ':' || CAST(_boitata_row_id AS varchar)) AS d FROM ${wh.table(tenant, table)}`,
    );
    return { rows: Number(row!['n']), distinct: Number(row!['d']) };
  };
  const quarantined = async (tenant: string) =>
    (
      await wh.query(
        `SELECT _boitata_row_id AS row_id, _boitata_quarantine_reason AS reason FROM ${wh.table(tenant, quarantineTableName('orders'))} ORDER BY 1, 2`,
      )
    ).map((r) => [Number(r['row_id']), r['reason']]);
  const contract = (tenant: string, to: 'evolve' | 'quarantine') =>
    changePolicy(db, { tenantId: tenant, table: 'orders', contract: to, actor: 'quarantine test', via: 'cli' });
  const redrive = (tenant: string, options: Partial<RedriveRequest> = {}) =>
    redriveQuarantine(db, port, { tenantId: tenant, table: 'orders', dryRun: false, actor: 'quarantine test', via: 'cli', ...options });

  /** A table created by its first row, then frozen into `quarantine`, then two drifting messages: rows 2 and 4 quarantined. */
  async function drifted(wh: TestWarehouse) {
    const conn = await newConnection();
    const processor = wh.processor([conn.tenant]);
    await push(conn, [{ id: 1, sku: 'a1' }], 'orders');
    await settle(processor, conn.tenant);
    await contract(conn.tenant, 'quarantine');
    await push(
      conn,
      [
        { id: 2, sku: 'b2', coupon: 'SUMMER' },
        { id: 3, sku: 'c3' },
      ],
      'orders',
    );
    await push(conn, [{ id: 4, sku: 'd4', coupon: 'WINTER' }], 'orders');
    expect(await settle(processor, conn.tenant)).toEqual({ done: 3 });
    return { conn, processor };
  }

  it('lists the quarantine, re-drives it under the same contract without losing a row, then lands each row once after evolve', async () => {
    const { conn, processor } = await drifted(wh);
    expect(await count(conn.tenant, 'orders')).toEqual({ rows: 2, distinct: 2 });
    const reason = 'contract quarantine: field "coupon" has no column';
    expect(await quarantined(conn.tenant)).toEqual([
      [0, reason],
      [0, reason],
    ]);
    const [listed] = await listQuarantines(db, port, conn.tenant, null);
    expect(listed).toMatchObject({ table: 'orders', quarantine_table: '_boitata_quarantine_orders', rows: 2, messages: 2, reasons: [{ reason, rows: 2 }] });
    expect(listed!.oldest! <= listed!.newest!).toBe(true);
    expect(JSON.stringify(listed)).not.toMatch(/SUMMER|WINTER/);

    const dry = await redrive(conn.tenant, { dryRun: true });
    expect(dry).toMatchObject({ quarantined: { messages: 2, rows: 2 }, redriven: { messages: 2, rows: 2 }, removed_rows: 0, cutoff: null });
    expect(await quarantined(conn.tenant)).toHaveLength(2);

    // Still `quarantine`, and the processor lands the re-driven messages before the old rows are removed: it writes
    // them again (newer), and only the older ones go. Nothing is lost, nothing doubled.
    const again = await redrive(conn.tenant, { afterRequeue: async () => void (await settle(processor, conn.tenant)) });
    expect(again).toMatchObject({ redriven: { messages: 2, rows: 2 }, in_flight: { messages: 0 }, pruned: { messages: 0 } });
    expect(await quarantined(conn.tenant)).toEqual([
      [0, reason],
      [0, reason],
    ]);
    expect(await count(conn.tenant, 'orders')).toEqual({ rows: 2, distinct: 2 });

    await contract(conn.tenant, 'evolve');
    const landed = await redrive(conn.tenant);
    expect(landed).toMatchObject({ quarantined: { messages: 2, rows: 2 }, redriven: { messages: 2, rows: 2 }, removed_rows: 2 });
    expect(await settle(processor, conn.tenant)).toEqual({ done: 3 });
    expect(await count(conn.tenant, 'orders')).toEqual({ rows: 4, distinct: 4 });
    expect(await wh.query(`SELECT id, sku, coupon FROM ${wh.table(conn.tenant, 'orders')} ORDER BY id`)).toEqual([
      { id: 1, sku: 'a1', coupon: null },
      { id: 2, sku: 'b2', coupon: 'SUMMER' },
      { id: 3, sku: 'c3', coupon: null },
      { id: 4, sku: 'd4', coupon: 'WINTER' },
    ]);
    expect(await quarantined(conn.tenant)).toEqual([]);
    expect(await redrive(conn.tenant)).toMatchObject({ quarantined: { messages: 0, rows: 0 }, redriven: { messages: 0 } });
    const { rows: audit } = await db.query(
      `SELECT action, details -> 'redriven' AS redriven FROM boitata_audit WHERE tenant_id = $1 AND action = 'quarantine.redrive' ORDER BY id`,
      [conn.tenant],
    );
    expect(audit).toEqual([
      { action: 'quarantine.redrive', redriven: { messages: 2, rows: 2 } },
      { action: 'quarantine.redrive', redriven: { messages: 2, rows: 2 } },
      { action: 'quarantine.redrive', redriven: { messages: 0, rows: 0 } },
    ]);
  });

  it('finishes a re-drive stopped after the re-queue by running it again, and leaves the rows of a pruned message', async () => {
    const { conn, processor } = await drifted(wh);
    // The message holding row 4 was pruned from the queue (QUEUE_RETENTION_HOURS): its payload is gone.
    await db.query(`DELETE FROM boitata_inbound_queue WHERE tenant_id = $1 AND id = (SELECT max(id) FROM boitata_inbound_queue WHERE tenant_id = $1)`, [
      conn.tenant,
    ]);
    await contract(conn.tenant, 'evolve');
    await expect(
      redrive(conn.tenant, {
        afterRequeue: () => Promise.reject(new Error('simulated crash after the re-queue')),
      }),
    ).rejects.toThrow('simulated crash');
    expect(await quarantined(conn.tenant)).toHaveLength(2);
    expect(await settle(processor, conn.tenant)).toEqual({ done: 2 });
    expect(await count(conn.tenant, 'orders')).toEqual({ rows: 3, distinct: 3 });

    const finished = await redrive(conn.tenant);
    expect(finished).toMatchObject({ redriven: { messages: 1, rows: 1 }, pruned: { messages: 1, rows: 1 }, removed_rows: 1 });
    expect(await settle(processor, conn.tenant)).toEqual({ done: 2 });
    expect(await count(conn.tenant, 'orders')).toEqual({ rows: 3, distinct: 3 });
    expect(await quarantined(conn.tenant)).toHaveLength(1);
  });
});
