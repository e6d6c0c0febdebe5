// Retention against the real warehouses and Postgres: maintenance deletes exactly the rows received longer ago than
// each table's retention (its own, else the tenant's default), nothing of tables or tenants without one, and prunes
// dead queue rows (with their dead letters) past QUEUE_DEAD_RETENTION_HOURS while newer dead, done and pending stay.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setPolicy } from '../../../processor/governance/policies.ts';
import { QUARANTINE_COLUMNS, quarantineTableName } from '../../../processor/governance/quarantine-table.ts';
import { QuarantineWriter } from '../../../processor/governance/quarantine-writer.ts';
import { applyRetention, loadRetentionTargets } from '../../../processor/governance/retention-run.ts';
import { pruneQueue } from '../../../processor/governance/retention-queue.ts';
import { runMaintenance } from '../../../processor/maintenance.ts';
import { canonicalTimestamp, TIMESTAMP_TZ, type Cell, type ColumnType } from '../../../processor/schema/column-types.ts';
import type { LoadRow, Warehouse } from '../../../processor/warehouse/warehouse.ts';
import { db, describeEachWarehouse, duckDbWarehouse, newConnection, newTenant, silentLog, type TestWarehouse } from './support.ts';

const DAY = 86_400_000;
const COLUMNS = new Map<string, ColumnType>([
  ['id', 'bigint'],
  ['k', 'varchar'],
]);

/** A row with id `id` (and item key `k`), received `daysAgo` days ago. */
function row(tenant: string, id: number, daysAgo: number, sequence = String(id), k = `item-${id}`): LoadRow {
  const cells = new Map<string, Cell>([
    ['id', { type: 'bigint', text: String(id) }],
    ['k', { type: 'varchar', text: k }],
  ]);
  return {
    messageId: randomUUID(),
    rowId: 0,
    receivedAt: canonicalTimestamp(new Date(Date.now() - daysAgo * DAY).toISOString()),
    tenantId: tenant,
    endpoint: 'push',
    sequence,
    rescue: null,
    credential: 'connection:00000000-0000-0000-0000-000000000000',
    sourceId: null,
    provenance: null,
    cells,
  };
}

/** A registered table (boitata_tables, as the loader leaves it) holding rows received 1, 5 and 20 days ago. */
async function seedTable(warehouse: Warehouse, tenant: string, table: string): Promise<void> {
  const ref = warehouse.tableRef(tenant, table);
  await warehouse.ensureSchema(ref);
  await warehouse.createTable(
    ref,
    [...COLUMNS].map(([physical, type]) => ({ physical, type })),
    { provenance: false },
  );
  await warehouse.insertRows(ref, [row(tenant, 1, 1), row(tenant, 5, 5), row(tenant, 20, 20)], COLUMNS, { provenance: false });
  await db.query('INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table) VALUES ($1, $2, $3, $4)', [
    tenant,
    table,
    ref.schema,
    ref.table,
  ]);
}

/** A quarantined row as the QuarantineWriter takes it: its reason says `row <id>`. */
function quarantinedRow(tenant: string, id: number, daysAgo: number): LoadRow {
  const base = row(tenant, id, daysAgo);
  const cells = new Map<string, Cell>([
    [QUARANTINE_COLUMNS.reason, { type: 'varchar', text: `row ${id}` }],
    [QUARANTINE_COLUMNS.row, { type: 'varchar', text: JSON.stringify({ id }) }],
    [QUARANTINE_COLUMNS.quarantinedAt, { type: TIMESTAMP_TZ, text: base.receivedAt }],
  ]);
  return { ...base, cells };
}

const ids = async (wh: TestWarehouse, tenant: string, table: string) =>
  (await wh.query(`SELECT CAST(id AS varchar) AS id FROM ${wh.table(tenant, table)}`)).map((r) => Number(r['id'])).sort((x, y) => x - y);

describeEachWarehouse('retention', (wh) => {
  it("deletes exactly each table's expired rows: the table's own retention, else the tenant's default; others untouched", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const warehouse = wh.create();
    for (const tenant of [a, b]) for (const table of ['orders', 'events']) await seedTable(warehouse, tenant, table);
    await setPolicy(db, a, '', { retentionSeconds: 10 * 86_400 }, 'test'); // tenant default: 10 days
    await setPolicy(db, a, 'orders', { retentionSeconds: 2 * 86_400 }, 'test'); // the table's own: 2 days
    await setPolicy(db, b, 'orders', { contract: 'freeze' }, 'test'); // a contract alone keeps every row

    // A dry run counts and deletes nothing.
    const dry = await applyRetention(warehouse, await loadRetentionTargets(db, [a, b], new Date()), { dryRun: true });
    expect(dry.map((o) => [o.tenantId === a ? 'a' : 'b', o.table, o.retentionFrom, o.rows, o.error])).toEqual([
      ['a', 'events', 'tenant', 1, null],
      ['a', 'orders', 'table', 2, null],
    ]);
    expect(await ids(wh, a, 'orders')).toEqual([1, 5, 20]);

    const result = await runMaintenance(db, warehouse, silentLog, 72, [a, b]);
    expect(result?.retention).toEqual({ tables: 2, failedTables: 0, deletedRows: 3, deletedRowsByTenant: { [a]: 3 } });
    expect(await ids(wh, a, 'orders')).toEqual([1]);
    expect(await ids(wh, a, 'events')).toEqual([1, 5]);
    for (const table of ['orders', 'events']) expect(await ids(wh, b, table)).toEqual([1, 5, 20]);

    // A second pass finds nothing more to delete.
    expect((await runMaintenance(db, warehouse, silentLog, 72, [a, b]))?.retention.deletedRows).toBe(0);
    await warehouse.close();
  });

  it("deletes the expired rows of a table's quarantine with the table's retention; a table without one counts nothing", async () => {
    const tenant = await newTenant();
    const warehouse = wh.create();
    for (const table of ['orders', 'events']) await seedTable(warehouse, tenant, table);
    await new QuarantineWriter(warehouse).write(tenant, 'orders', [quarantinedRow(tenant, 1, 1), quarantinedRow(tenant, 5, 5), quarantinedRow(tenant, 20, 20)]);
    await setPolicy(db, tenant, '', { retentionSeconds: 10 * 86_400 }, 'test');
    await setPolicy(db, tenant, 'orders', { retentionSeconds: 2 * 86_400 }, 'test');
    const quarantine = quarantineTableName('orders');
    const reasons = async () =>
      (await wh.query(`SELECT ${QUARANTINE_COLUMNS.reason} AS reason FROM ${wh.table(tenant, quarantine)}`)).map((r) => r['reason']).sort();

    const dry = await applyRetention(warehouse, await loadRetentionTargets(db, [tenant], new Date()), { dryRun: true });
    // events has no quarantine table: it counts 0 and is left out.
    expect(dry.map((o) => [o.table, o.policyTable, o.retentionSeconds, o.rows, o.error])).toEqual([
      ['events', 'events', 864_000, 1, null],
      ['orders', 'orders', 172_800, 2, null],
      [quarantine, 'orders', 172_800, 2, null],
    ]);
    expect(await reasons()).toEqual(['row 1', 'row 20', 'row 5']);

    const result = await runMaintenance(db, warehouse, silentLog, 72, [tenant]);
    expect(result?.retention).toMatchObject({ failedTables: 0, deletedRows: 5, deletedRowsByTenant: { [tenant]: 5 } });
    expect(await reasons()).toEqual(['row 1']);
    expect(await ids(wh, tenant, 'orders')).toEqual([1]);
    expect(await ids(wh, tenant, 'events')).toEqual([1, 5]);
    await warehouse.close();
  });

  it('deletes whole days first: on a day-partitioned Iceberg table their files go whole, no row-level delete file', async () => {
    const tenant = await newTenant();
    const warehouse = wh.create();
    await seedTable(warehouse, tenant, 'visits');
    await setPolicy(db, tenant, 'visits', { retentionSeconds: 2 * 86_400 }, 'test');
    const outcomes = await applyRetention(warehouse, await loadRetentionTargets(db, [tenant], new Date()), { dryRun: false });
    expect(outcomes.map((o) => [o.table, o.rows, o.error])).toEqual([['visits', 2, null]]);
    expect(await ids(wh, tenant, 'visits')).toEqual([1]);
    if (wh.kind === 'trino') {
      const files = await wh.query(`SELECT count(*) AS n FROM ${wh.table(tenant, 'visits$files')} WHERE content <> 0`);
      expect(Number(files[0]!['n'])).toBe(0);
    }
    await warehouse.close();
  });

  it('on an X-Item-Key table deletes the items not updated within the retention: an upsert renews _boitata_received_at', async () => {
    const tenant = await newTenant();
    const warehouse = wh.create();
    const ref = warehouse.tableRef(tenant, 'customers');
    await warehouse.ensureSchema(ref);
    await warehouse.createTable(
      ref,
      [...COLUMNS].map(([physical, type]) => ({ physical, type })),
      { provenance: false },
    );
    // Both items arrived 20 days ago; item-1 was updated yesterday.
    await warehouse.mergeRows(ref, 'k', [row(tenant, 1, 20, '1', 'item-1'), row(tenant, 2, 20, '2', 'item-2')], COLUMNS, { provenance: false });
    await warehouse.mergeRows(ref, 'k', [row(tenant, 11, 1, '3', 'item-1')], COLUMNS, { provenance: false });
    await db.query('INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table) VALUES ($1, $2, $3, $4)', [
      tenant,
      'customers',
      ref.schema,
      ref.table,
    ]);
    await setPolicy(db, tenant, '', { retentionSeconds: 7 * 86_400 }, 'test');
    const [outcome] = await applyRetention(warehouse, await loadRetentionTargets(db, [tenant], new Date()), { dryRun: false });
    expect(outcome).toMatchObject({ table: 'customers', rows: 1, error: null });
    expect(await ids(wh, tenant, 'customers')).toEqual([11]);
    await warehouse.close();
  });
});

/**
 * A queue row of `tenant`, settled `settledHoursAgo` hours ago (`dead`: when it died, or with `arrivedDead` when the
 * edge stored it dead on arrival: no processed_at, received then), with a dead letter when dead.
 */
async function enqueue(
  tenant: string,
  connectionId: string,
  status: 'done' | 'dead' | 'pending',
  settledHoursAgo: number,
  options: { arrivedDead?: boolean } = {},
): Promise<string> {
  const messageId = randomUUID();
  const processed = status === 'pending' || options.arrivedDead === true ? null : settledHoursAgo;
  await db.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt,
                                        idempotency_scope, status, received_at, processed_at)
     VALUES ($1, $2, $3::uuid, 'push', 'array', 'orders', '[{"id": 1}]', 1, '{}', $3::uuid, $4,
             clock_timestamp() - make_interval(hours => $5 + 1), clock_timestamp() - make_interval(hours => $6))`,
    [messageId, tenant, connectionId, status, settledHoursAgo, processed],
  );
  if (status === 'dead') {
    await db.query(
      `INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts)
       SELECT id, message_id, tenant_id, 'warehouse_rejected', 'a value did not fit', 1 FROM boitata_inbound_queue WHERE message_id = $1`,
      [messageId],
    );
  }
  return messageId;
}

async function connectionOf(tenant: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM boitata_connections WHERE tenant_id = $1 LIMIT 1', [tenant]);
  return rows[0]!.id;
}

const queueOf = async (tenant: string) =>
  (
    await db.query<{ message_id: string; letters: number }>(
      `SELECT q.message_id::text, (SELECT count(*)::int FROM boitata_dead_letters d WHERE d.queue_id = q.id) AS letters
         FROM boitata_inbound_queue q WHERE q.tenant_id = $1 ORDER BY q.id`,
      [tenant],
    )
  ).rows;

describe('queue retention', () => {
  it('prunes dead rows (with their dead letters) older than QUEUE_DEAD_RETENTION_HOURS; newer dead, done and pending stay', async () => {
    const [{ tenant }, { tenant: other }] = [await newConnection(), await newConnection()];
    const [connection, otherConnection] = [await connectionOf(tenant), await connectionOf(other)];
    await enqueue(tenant, connection, 'dead', 800); // died 800 h ago: pruned
    await enqueue(tenant, connection, 'dead', 800, { arrivedDead: true }); // stored dead 800 h ago, no processed_at: pruned
    const recentDead = await enqueue(tenant, connection, 'dead', 700);
    const recentDone = await enqueue(tenant, connection, 'done', 48);
    const oldPending = await enqueue(tenant, connection, 'pending', 900);
    const otherTenant = await enqueue(other, otherConnection, 'dead', 800); // not this processor's tenant

    const result = await runMaintenance(db, duckDbWarehouse.create(), silentLog, 72, [tenant], { deadRetentionHours: 720 });
    expect(result).toMatchObject({ prunedMessages: 0, prunedDeadMessages: 2, prunedDeadLetters: 2 });
    expect(await queueOf(tenant)).toEqual([
      { message_id: recentDead, letters: 1 },
      { message_id: recentDone, letters: 0 },
      { message_id: oldPending, letters: 0 },
    ]);
    expect(await queueOf(other)).toEqual([{ message_id: otherTenant, letters: 1 }]);
  });

  it('deletes a backlog in bounded batches until none is left, never under 24 h', async () => {
    const { tenant } = await newConnection();
    const connection = await connectionOf(tenant);
    for (let i = 0; i < 5; i++) await enqueue(tenant, connection, 'dead', 30);
    const young = await enqueue(tenant, connection, 'dead', 10);
    // A retention of 1 h is raised to 24 h: the 10 h old one stays.
    expect(await pruneQueue(db, 'dead', 1, [tenant], 2)).toEqual({ messages: 5, deadLetters: 5 });
    expect(await queueOf(tenant)).toEqual([{ message_id: young, letters: 1 }]);
  });
});
