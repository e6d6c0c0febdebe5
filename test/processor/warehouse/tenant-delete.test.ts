// Deleting a tenant on both warehouses, through the real pipeline: rows landed by the real Worker and processor, then
// `deleteTenant` — the schema gone, no Postgres table holding the tenant's id (audit and receipts apart), another
// tenant untouched, the receipt without secrets, a re-run a no-op, the id refused, and a crash between the Postgres
// and the warehouse steps finished by running it again.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { addTenant } from '../../../cli/tenants.ts';
import { deleteTenant, planTenantDeletion, readReceipt } from '../../../processor/governance/tenant-delete.ts';
import { db, describeEachWarehouse, newConnection, newKey, push, type TestWarehouse } from './support.ts';

afterAll(() => db.end());

/** Rows per `boitata_*` table holding this tenant's id (or, for the tenant row, its id), and its connections' secrets. */
async function postgresFootprint(tenant: string): Promise<Record<string, number>> {
  const { rows: tables } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name = 'tenant_id' AND table_name LIKE 'boitata%'
        AND table_name NOT IN ('boitata_audit', 'boitata_erasures') ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table_name}" WHERE tenant_id = $1`, [tenant]);
    counts[table_name] = rows[0]!.n;
  }
  counts['boitata_tenants'] = (await db.query('SELECT 1 FROM boitata_tenants WHERE id = $1', [tenant])).rowCount ?? 0;
  return counts;
}

const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

/** A tenant with two landed tables, a dead letter, a key, a policy and a quarantine table. */
async function landedTenant(wh: TestWarehouse) {
  const conn = await newConnection();
  const secret = await newKey(conn.tenant, 'metrics');
  await push(conn, [{ id: 1, email: 'ana@example.com' }, { id: 2 }], 'orders');
  await push(conn, [{ id: 3 }], 'events');
  await wh.processor([conn.tenant]).drain();
  const {
    rows: [queue],
  } = await db.query<{ id: string; message_id: string }>('SELECT id, message_id FROM boitata_inbound_queue WHERE tenant_id = $1 LIMIT 1', [conn.tenant]);
  await db.query(`INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts) VALUES ($1, $2, $3, 'x', 'y', 1)`, [
    queue!.id,
    queue!.message_id,
    conn.tenant,
  ]);
  await db.query(`INSERT INTO boitata_policies (tenant_id, table_name, retention_seconds, updated_by) VALUES ($1, 'orders', 86400, 'test')`, [conn.tenant]);
  const writer = wh.create();
  await writer.createTable(writer.tableRef(conn.tenant, '_boitata_quarantine_orders'), [{ physical: 'raw', type: 'varchar' }]);
  await writer.close();
  return { ...conn, secret };
}

describeEachWarehouse('tenants delete', (wh) => {
  it('dry run changes nothing; the deletion removes the schema and every Postgres row of the tenant, not the other tenant', async () => {
    const gone = await landedTenant(wh);
    const kept = await newConnection();
    await push(kept, [{ id: 9 }], 'orders');
    await wh.processor([kept.tenant]).drain();
    const keptBefore = await postgresFootprint(kept.tenant);
    const before = await postgresFootprint(gone.tenant);
    expect(before).toMatchObject({ boitata_tables: 2, boitata_inbound_queue: 2, boitata_dead_letters: 1, boitata_policies: 1, boitata_tenants: 1 });

    const planned = await planTenantDeletion(db, wh.create(), gone.tenant);
    if (planned.kind !== 'plan') throw new Error(`no plan: ${planned.kind}`);
    expect(planned.plan.warehouse.tables).toEqual([
      { name: '_boitata_quarantine_orders', registered: false, rows: 0 },
      { name: 'events', registered: true, rows: 1 },
      { name: 'orders', registered: true, rows: 2 },
    ]);
    expect(planned.plan.postgres).toMatchObject({ boitata_inbound_queue: 2, boitata_connections: 1, boitata_api_keys: 1, boitata_tenants: 1 });
    expect(await postgresFootprint(gone.tenant)).toEqual(before);
    expect(await wh.tables(gone.tenant)).toEqual(['_boitata_quarantine_orders', 'events', 'orders']);

    const outcome = await deleteTenant(db, wh.create(), { tenantId: gone.tenant, actor: 'dpo@example.com', via: 'cli' });
    expect(outcome.kind).toBe('done');
    expect(await wh.schemaExists(gone.tenant)).toBe(false);
    expect(nonZero(await postgresFootprint(gone.tenant))).toEqual({});
    const { rows: secrets } = await db.query(
      `SELECT 1 FROM boitata_signing_secrets s LEFT JOIN boitata_connections c ON c.id = s.connection_id WHERE c.id IS NULL`,
    );
    expect(secrets).toEqual([]);
    expect(await postgresFootprint(kept.tenant)).toEqual(keptBefore);
    expect(await wh.tables(kept.tenant)).toEqual(['orders']);

    const receipt = (await readReceipt(db, gone.tenant))!;
    expect(receipt.requested_by).toBe('dpo@example.com');
    expect(receipt.report).toMatchObject({ status: 'done', postgres: { boitata_inbound_queue: 2, boitata_tables: 2, boitata_tenants: 1 } });
    expect(receipt.report.warehouse.dropped).toEqual(['_boitata_quarantine_orders', 'events', 'orders']);
    const text = JSON.stringify(receipt);
    for (const secret of [gone.token, gone.secret, 'ana@example.com']) expect(text).not.toContain(secret);
    const { rows: audit } = await db.query<{ actor: string; details: unknown }>(
      `SELECT actor, details FROM boitata_audit WHERE tenant_id = $1 AND action = 'tenant.delete'`,
      [gone.tenant],
    );
    expect(audit.map((a) => a.actor)).toEqual(['dpo@example.com']);
    expect(JSON.stringify(audit)).not.toContain(gone.token);

    // Again: nothing to do, the receipt as it was; the id cannot come back.
    const again = await deleteTenant(db, wh.create(), { tenantId: gone.tenant, actor: 'someone-else', via: 'cli' });
    expect(again).toMatchObject({ kind: 'deleted', receipt: { requested_by: 'dpo@example.com' } });
    await expect(addTenant(db, { id: gone.tenant })).rejects.toThrow(/cannot be used again: personal data is hashed with a key derived from PII_HASH_KEY/);
  });

  it('a crash between the Postgres and the warehouse steps is finished by running the deletion again', async () => {
    const gone = await landedTenant(wh);
    const real = wh.create();
    // The real adapter, whose first DROP fails as a crash or a warehouse outage would leave it.
    const failing = new Proxy(real, {
      get(target, name) {
        if (name === 'dropTable') return () => Promise.reject(new Error('warehouse went away'));
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await expect(deleteTenant(db, failing, { tenantId: gone.tenant, actor: 'dpo', via: 'cli' })).rejects.toThrow('warehouse went away');
    expect(nonZero(await postgresFootprint(gone.tenant))).toEqual({});
    expect((await readReceipt(db, gone.tenant))!.report.status).toBe('warehouse_pending');
    expect(await wh.tables(gone.tenant)).toEqual(['_boitata_quarantine_orders', 'events', 'orders']);
    await expect(addTenant(db, { id: gone.tenant })).rejects.toThrow(/cannot be used again/);

    const planned = await planTenantDeletion(db, real, gone.tenant);
    expect(planned).toMatchObject({ kind: 'plan', plan: { state: 'unfinished', postgres: {} } });

    // Finished with other warehouse settings (another schema prefix), it refuses before dropping anything.
    const elsewhere = wh.create();
    const otherPrefix = new Proxy(elsewhere, {
      get(target, name) {
        if (name === 'tableRef') return (tenantId: string, table: string) => ({ ...target.tableRef(tenantId, table), schema: `other_${tenantId}` });
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await expect(deleteTenant(db, otherPrefix, { tenantId: gone.tenant, actor: 'dpo', via: 'cli' })).rejects.toThrow(/Nothing was dropped/);
    await elsewhere.close();
    expect(await wh.tables(gone.tenant)).toEqual(['_boitata_quarantine_orders', 'events', 'orders']);

    const finished = await deleteTenant(db, wh.create(), { tenantId: gone.tenant, actor: 'dpo', via: 'cli' });
    expect(finished).toMatchObject({ kind: 'done', resumed: true, receipt: { report: { status: 'done' } } });
    expect(await wh.schemaExists(gone.tenant)).toBe(false);
  });

  it('knows no tenant it never had', async () => {
    expect(await deleteTenant(db, wh.create(), { tenantId: `never-${randomUUID().slice(0, 8)}`, actor: 'x', via: 'cli' })).toEqual({ kind: 'unknown' });
  });
});
