// Re-driving stored messages end to end (`boitata messages redrive`): pushed through the real Worker, landed by a real
// processor in DuckDB and Trino/Iceberg, re-driven after an alias fix — each row exactly once, its values where the
// fix says, dead messages landing, a dry run changing nothing, and an older item never overwriting a newer one.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { removeAlias } from '../../../cli/catalog.ts';
import { withTransaction } from '../../../database/with-transaction.ts';
import { BatchLoader } from '../../../processor/batch-loader.ts';
import { Processor } from '../../../processor/processor.ts';
import { QueueStore } from '../../../processor/queue/queue-store.ts';
import { planRedrive, redriveMessages, type RedriveSelection } from '../../../processor/queue/redrive.ts';
import { bumpVersion, insertAliases } from '../../../processor/schema/catalog-sql.ts';
import { SchemaRegistry } from '../../../processor/schema/schema-registry.ts';
import { db, describeEachWarehouse, newConnection, push, settle, silentLog, testHasher, webhook, type TestWarehouse } from './support.ts';

afterAll(() => db.end());

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** An alias as the model would have decided it (there is no `aliases add` command): processors re-read the table. */
async function addAlias(tenant: string, table: string, field: string, column: string): Promise<void> {
  await withTransaction(db, async (client) => {
    const evidence = { model: 'test', confidence: 0.9 };
    await insertAliases(client, tenant, table, [{ field, column, decidedBy: 'model', evidence }]);
    await bumpVersion(client, tenant, table, [{ kind: 'add_alias', alias: field, column, decided_by: 'model', evidence }], null);
  });
}

/** Every message of the tenant received so far: [first, last] as a half-open range. */
async function everything(tenant: string, table: string | null = null): Promise<RedriveSelection> {
  const { rows } = await db.query<{ since: string; until: string }>(
    `SELECT to_char(min(received_at) AT TIME ZONE 'UTC', ${ISO}) AS since,
            to_char((max(received_at) + interval '1 millisecond') AT TIME ZONE 'UTC', ${ISO}) AS until
       FROM boitata_inbound_queue WHERE tenant_id = $1`,
    [tenant],
  );
  return { tenantId: tenant, since: rows[0]!.since, until: rows[0]!.until, table };
}

async function queueRows(tenant: string) {
  const { rows } = await db.query<{ id: string; status: string; redrive: boolean; redrives: number; received_at: string; available_at: string }>(
    `SELECT id::text, status, redrive, redrives, to_char(received_at AT TIME ZONE 'UTC', ${ISO}) AS received_at, available_at::text
       FROM boitata_inbound_queue WHERE tenant_id = $1 ORDER BY id`,
    [tenant],
  );
  return rows;
}

/** A processor whose first batch fails after its rows are written and before it is acknowledged, as in a crash. */
function crashingOnceProcessor(wh: TestWarehouse, tenant: string) {
  const warehouse = wh.create();
  const state = { crashed: false };
  const loader = new BatchLoader({
    warehouse,
    registry: new SchemaRegistry({ pool: db, poolSize: 4, warehouse, matcher: null }),
    hasher: testHasher,
    hook: async (stage) => {
      if (stage !== 'written' || state.crashed) return;
      state.crashed = true;
      throw new Error('simulated crash: written, not acknowledged');
    },
  });
  const queue = new QueueStore(db, `crash-${randomUUID().slice(0, 8)}`, 60, [tenant]);
  const processor = new Processor({ queue, loader, log: silentLog, settings: { batchSize: 500, pollIntervalMs: 50, leaseSeconds: 60, maxAttempts: 5 } });
  return { processor, state };
}

describeEachWarehouse('redrive', (wh) => {
  const count = async (tenant: string, table: string) => {
    const [row] = await wh.query(
      `SELECT count(*) AS n, count(DISTINCT _boitata_message_id || ':' || CAST(_boitata_row_id AS varchar)) AS d FROM ${wh.table(tenant, table)}`,
    );
    return { rows: Number(row!['n']), distinct: Number(row!['d']) };
  };

  it('re-drives a time range after an alias fix: each row exactly once, its value in the fixed column, even after a crash before the ack', async () => {
    const conn = await newConnection();
    const processor = wh.processor([conn.tenant]);
    await push(conn, [{ id: 1, city: 'Recife', country: 'BR' }], 'places');
    await processor.drain();
    // A wrong alias (as a model might decide): cidade lands in country.
    await addAlias(conn.tenant, 'places', 'cidade', 'country');
    await push(
      conn,
      [
        { id: 2, cidade: 'Olinda' },
        { id: 3, cidade: 'Natal' },
      ],
      'places',
    );
    await push(conn, [{ id: 4, cidade: 'Caruaru' }], 'places');
    await processor.drain();
    const read = () => wh.query(`SELECT id, city, country FROM ${wh.table(conn.tenant, 'places')} ORDER BY id`);
    expect(await read()).toEqual([
      { id: 1, city: 'Recife', country: 'BR' },
      { id: 2, city: null, country: 'Olinda' },
      { id: 3, city: null, country: 'Natal' },
      { id: 4, city: null, country: 'Caruaru' },
    ]);
    const before = await count(conn.tenant, 'places');
    expect(before).toEqual({ rows: 4, distinct: 4 });

    // The fix: the wrong alias undone (`boitata aliases remove`), cidade meaning city.
    await removeAlias(db, conn.tenant, 'places', 'cidade');
    await addAlias(conn.tenant, 'places', 'cidade', 'city');
    const result = await redriveMessages(db, await everything(conn.tenant), { chunkSize: 2 });
    expect(result).toEqual({ messages: 3, rows: 4, byStatus: { landed: 3, dead: 0 }, deadLetters: 0 });
    expect((await queueRows(conn.tenant)).map((m) => [m.status, m.redrive, m.redrives])).toEqual([
      ['pending', true, 1],
      ['pending', true, 1],
      ['pending', true, 1],
    ]);

    const crashing = crashingOnceProcessor(wh, conn.tenant);
    expect(await settle(crashing.processor, conn.tenant)).toEqual({ done: 3 });
    expect(crashing.state.crashed).toBe(true);
    expect(await count(conn.tenant, 'places')).toEqual(before);
    // A column the re-driven row no longer fills is NULL now: country held cidade's values by mistake.
    expect(await read()).toEqual([
      { id: 1, city: 'Recife', country: 'BR' },
      { id: 2, city: 'Olinda', country: null },
      { id: 3, city: 'Natal', country: null },
      { id: 4, city: 'Caruaru', country: null },
    ]);
    expect((await queueRows(conn.tenant)).map((m) => [m.status, m.redrive, m.redrives])).toEqual([
      ['done', false, 1],
      ['done', false, 1],
      ['done', false, 1],
    ]);
  });

  it('re-drives a dead message after the fix: it lands and its dead letter is replayed; the dry run and another table change nothing', async () => {
    const conn = await newConnection();
    const processor = wh.processor([conn.tenant]);
    await webhook(conn, 'stock', { code: 'a1', city: 'Recife' });
    await processor.drain();
    await addAlias(conn.tenant, 'stock', 'sku', 'code');
    // The item key names an aliased field, which has no column of its own: the message cannot be upserted.
    await webhook(conn, 'stock', { sku: 's1', city: 'Natal' }, { 'x-item-key': 'sku' });
    await processor.drain();
    const { rows: letters } = await db.query('SELECT error_code, replayed_at FROM boitata_dead_letters WHERE tenant_id = $1', [conn.tenant]);
    expect(letters).toEqual([{ error_code: 'item_key_unusable', replayed_at: null }]);

    const selection = await everything(conn.tenant);
    const queueBefore = await queueRows(conn.tenant);
    const plan = await planRedrive(db, selection);
    expect(plan).toMatchObject({ messages: 2, rows: 2, byStatus: { landed: 1, dead: 1 }, byTable: [{ table: 'stock', messages: 2, rows: 2 }], inFlight: 0 });
    expect(await planRedrive(db, { ...selection, table: 'other' })).toMatchObject({ messages: 0, byTable: [] });
    expect(await redriveMessages(db, { ...selection, table: 'other' })).toMatchObject({ messages: 0 });
    expect(await queueRows(conn.tenant)).toEqual(queueBefore);

    await removeAlias(db, conn.tenant, 'stock', 'sku');
    const dead = queueBefore[1]!;
    const result = await redriveMessages(db, { ...selection, since: dead.received_at, table: 'stock' });
    expect(result).toEqual({ messages: 1, rows: 1, byStatus: { landed: 0, dead: 1 }, deadLetters: 1 });
    expect(await settle(processor, conn.tenant)).toEqual({ done: 2 });
    expect(await wh.query(`SELECT code, sku, city FROM ${wh.table(conn.tenant, 'stock')} ORDER BY city`)).toEqual([
      { code: null, sku: 's1', city: 'Natal' },
      { code: 'a1', sku: null, city: 'Recife' },
    ]);
    const { rows: after } = await db.query('SELECT replayed_at IS NOT NULL AS replayed FROM boitata_dead_letters WHERE tenant_id = $1', [conn.tenant]);
    expect(after).toEqual([{ replayed: true }]);
  });

  it('keeps the _boitata_sequence rule on X-Item-Key tables: a re-driven older message never overwrites a newer version', async () => {
    const conn = await newConnection();
    const processor = wh.processor([conn.tenant]);
    await webhook(conn, 'orders', { code: 'o1', status: 'new', note: 'first' }, { 'x-item-key': 'code' });
    await processor.drain();
    await webhook(conn, 'orders', { code: 'o1', status: 'paid' }, { 'x-item-key': 'code' });
    await processor.drain();
    const read = () => wh.query(`SELECT code, status, note, CAST(_boitata_sequence AS varchar) AS seq FROM ${wh.table(conn.tenant, 'orders')}`);
    const [older, newer] = await queueRows(conn.tenant);
    expect(await read()).toEqual([{ code: 'o1', status: 'paid', note: null, seq: newer!.id }]);

    // Only the older message: [its received_at, the newer one's).
    const result = await redriveMessages(db, { tenantId: conn.tenant, since: older!.received_at, until: newer!.received_at, table: null });
    expect(result.messages).toBe(1);
    expect(await settle(processor, conn.tenant)).toEqual({ done: 2 });
    expect((await queueRows(conn.tenant)).map((m) => m.redrives)).toEqual([1, 0]);
    expect(await read()).toEqual([{ code: 'o1', status: 'paid', note: null, seq: newer!.id }]);

    // Both again, in one range: the newer one is the item, whatever order the processor writes them in.
    await redriveMessages(db, await everything(conn.tenant));
    expect(await settle(processor, conn.tenant)).toEqual({ done: 2 });
    expect(await read()).toEqual([{ code: 'o1', status: 'paid', note: null, seq: newer!.id }]);
  });
});
