// Nothing lost, nothing duplicated: concurrent processors, SIGKILL at every stage, Trino cut off, poison messages, SIGTERM.
import { afterAll, expect, it } from 'vitest';
import { runMaintenance } from '../../../processor/maintenance.ts';
import { listDeadLetters, replayDeadLetters } from '../../../processor/queue/dead-letters.ts';
import { spawnProcessor, startTrinoProxy } from './processes.ts';
import {
  countRows,
  db,
  describeWarehouse,
  newConnection,
  push,
  queueStatus,
  settle,
  silentLog,
  tableName,
  testProcessor,
  trinoQuery,
  warehouse,
} from './support.ts';

afterAll(() => db.end());

async function pushMany(conn: { tenant: string; token: string }, table: string, messages: number, rowsPerMessage: number) {
  for (let m = 0; m < messages; m++) {
    await push(
      conn,
      Array.from({ length: rowsPerMessage }, (_, r) => ({ m, r, note: `message ${m} row ${r}` })),
      table,
    );
  }
}

describeWarehouse('exactly once in the face of failures', () => {
  it('two processors draining side by side write every row once', async () => {
    const conn = await newConnection();
    await pushMany(conn, 'orders', 30, 4);
    const a = testProcessor([conn.tenant], { batchSize: 4 });
    const b = testProcessor([conn.tenant], { batchSize: 4 });
    const [ra, rb] = await Promise.all([a.drain(), b.drain()]);
    const claimedBy = (results: Awaited<ReturnType<typeof a.drain>>) => results.reduce((sum, r) => sum + r.claimed, 0);
    expect(claimedBy(ra) + claimedBy(rb)).toBe(30);
    expect(claimedBy(ra)).toBeGreaterThan(0);
    expect(claimedBy(rb)).toBeGreaterThan(0);
    expect(await countRows(conn.tenant, 'orders')).toEqual({ rows: 120, distinct: 120 });
    expect(await queueStatus(conn.tenant)).toEqual({ done: 30 });
  });

  for (const stage of ['claimed', 'ddl', 'before-write', 'written'] as const) {
    it(`a processor killed with SIGKILL at "${stage}" and replaced loses and duplicates nothing`, async () => {
      const conn = await newConnection();
      await pushMany(conn, 'crashes', 6, 3);
      const doomed = spawnProcessor({ PROCESSOR_TENANTS: conn.tenant, BOITATA_PROCESSOR_PAUSE_AT: stage });
      await doomed.waitFor((line) => line['msg'] === 'paused for a test' && line['stage'] === stage);
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      expect(await queueStatus(conn.tenant)).toEqual({ processing: 6 });

      // The replacement waits for the dead processor's lease (5 s) to expire, then re-checks and lands.
      expect(await settle(testProcessor([conn.tenant]), conn.tenant)).toEqual({ done: 6 });
      expect(await countRows(conn.tenant, 'crashes')).toEqual({ rows: 18, distinct: 18 });
      const { rows } = await db.query('SELECT count(*)::int AS n FROM boitata_columns WHERE tenant_id = $1', [conn.tenant]);
      expect(rows[0].n).toBe(3); // m, r, note: registered once even when the DDL ran before the crash
    });
  }

  it('while Trino is unreachable messages wait in the queue, then land once it is back', async () => {
    const conn = await newConnection();
    const proxy = await startTrinoProxy();
    try {
      const processor = testProcessor([conn.tenant], { trinoUrl: proxy.url });
      await pushMany(conn, 'outage', 2, 2);
      await processor.drain(); // creates the table through the proxy
      proxy.cut();
      await pushMany(conn, 'outage', 3, 2);
      const failed = await processor.runOnce();
      expect(failed.error?.message).toMatch(/Trino request failed/);
      const { rows } = await db.query(
        `SELECT status, attempts, last_error IS NOT NULL AS has_error, available_at > now() AS backing_off
           FROM boitata_inbound_queue WHERE tenant_id = $1 AND status <> 'done'`,
        [conn.tenant],
      );
      expect(rows).toEqual(Array(3).fill({ status: 'pending', attempts: 1, has_error: true, backing_off: true }));
      proxy.restore();
      expect(await settle(processor, conn.tenant)).toEqual({ done: 5 });
      expect(await countRows(conn.tenant, 'outage')).toEqual({ rows: 10, distinct: 10 });
    } finally {
      await proxy.close();
    }
  });

  it('a message the warehouse refuses goes to the dead letters with the reason; the rest of its batch lands; replay lands it', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant]);
    // A table made outside Boitatá with a NOT NULL column: a message without that field can never load into it.
    await trinoQuery(`CREATE SCHEMA iceberg."tenant_${conn.tenant}"`);
    await trinoQuery(`CREATE TABLE ${tableName(conn.tenant, 'inventory')} (sku varchar NOT NULL, qty bigint)`);
    await push(conn, [{ sku: 'A', qty: 1 }], 'inventory');
    await push(conn, [{ qty: 2 }], 'inventory');
    await push(conn, [{ sku: 'C', qty: 3 }], 'inventory');
    await push(conn, [{ other: 'table' }], 'elsewhere');
    const [first] = await processor.drain();
    expect(first!.claimed).toBe(4); // one batch

    expect(await trinoQuery(`SELECT sku, qty FROM ${tableName(conn.tenant, 'inventory')} ORDER BY sku`)).toEqual([
      { sku: 'A', qty: 1 },
      { sku: 'C', qty: 3 },
    ]);
    expect(await countRows(conn.tenant, 'elsewhere')).toEqual({ rows: 1, distinct: 1 });
    const dead = await listDeadLetters(db, { tenantId: conn.tenant });
    expect(dead.map((d) => [d.error_code, d.reason])).toEqual([
      ['warehouse_rejected', 'inventory: Trino CONSTRAINT_VIOLATION: NULL value not allowed for NOT NULL column: sku'],
    ]);
    expect(await queueStatus(conn.tenant)).toEqual({ done: 3, dead: 1 });

    // The operator relaxes the table, then replays.
    await trinoQuery(`ALTER TABLE ${tableName(conn.tenant, 'inventory')} ALTER COLUMN sku DROP NOT NULL`);
    expect(await replayDeadLetters(db, { ids: [dead[0]!.id] })).toBe(1);
    await processor.drain();
    expect(await trinoQuery(`SELECT sku, qty FROM ${tableName(conn.tenant, 'inventory')} ORDER BY qty`)).toEqual([
      { sku: 'A', qty: 1 },
      { sku: null, qty: 2 },
      { sku: 'C', qty: 3 },
    ]);
    expect(await listDeadLetters(db, { tenantId: conn.tenant })).toEqual([]);
    expect(await queueStatus(conn.tenant)).toEqual({ done: 4 });
  });

  it('a batch that keeps failing is landed message by message: the others land, the failing one is dead-lettered after its attempts', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant], { maxAttempts: 3 });
    await push(conn, [{ a: 1, extra: 'x' }], 'drifted');
    await processor.drain();
    // Someone drops a registered column by hand: writes naming it fail (a table problem, retried, not data).
    await trinoQuery(`ALTER TABLE ${tableName(conn.tenant, 'drifted')} DROP COLUMN extra`);
    await push(conn, [{ a: 2 }], 'drifted');
    await push(conn, [{ a: 3, extra: 'y' }], 'drifted');
    await push(conn, [{ b: 1 }], 'bystander');

    expect(await settle(processor, conn.tenant)).toEqual({ done: 3, dead: 1 });
    expect(await trinoQuery(`SELECT a FROM ${tableName(conn.tenant, 'drifted')} ORDER BY a`)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await countRows(conn.tenant, 'bystander')).toEqual({ rows: 1, distinct: 1 });
    const dead = await listDeadLetters(db, { tenantId: conn.tenant });
    expect(dead.map((d) => [d.error_code, d.attempts])).toEqual([['retries_exhausted', 3]]);
    expect(dead[0]!.reason).toMatch(/^failed 3 times; last error: Trino COLUMN_NOT_FOUND/);
  });

  it('a stored message that does not match its recorded format is dead-lettered without failing the batch', async () => {
    const conn = await newConnection();
    await push(conn, [{ ok: 1 }], 'fine');
    const {
      rows: [template],
    } = await db.query('SELECT * FROM boitata_inbound_queue WHERE tenant_id = $1', [conn.tenant]);
    await db.query(
      `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
       VALUES (gen_random_uuid(), $1, $2, 'push', 'array', 'fine', '{"not": "an array"}', 1, '{}', $3)`,
      [conn.tenant, template.connection_id, template.idempotency_scope],
    );
    await testProcessor([conn.tenant]).drain();
    expect(await countRows(conn.tenant, 'fine')).toEqual({ rows: 1, distinct: 1 });
    const dead = await listDeadLetters(db, { tenantId: conn.tenant });
    expect(dead.map((d) => [d.error_code, d.reason])).toEqual([
      ['malformed_message', 'The stored message does not match its recorded format: the payload must be a non-empty array of rows.'],
    ]);
  });

  it('SIGTERM: a batch that cannot finish within the grace period is handed back at once, and the process exits 0', async () => {
    const conn = await newConnection();
    await pushMany(conn, 'graceful', 3, 2);
    const proc = spawnProcessor({ PROCESSOR_TENANTS: conn.tenant, BOITATA_PROCESSOR_PAUSE_AT: 'before-write', PROCESSOR_SHUTDOWN_GRACE_SECONDS: '1' });
    const started = await proc.waitFor((line) => line['msg'] === 'processor started');
    const health = await fetch(`${String(started['http'])}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'ok' });
    const metrics = await (await fetch(`${String(started['http'])}/metrics`)).text();
    expect(metrics).toMatch(/^boitata_queue_depth\{status="pending"\} \d+$/m);
    expect(metrics).toMatch(/^boitata_processor_batches_total/m);

    await proc.waitFor((line) => line['msg'] === 'paused for a test');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.lines.map((l) => l['msg'])).toContain('batch did not finish within the grace period; releasing its lease');
    const { rows } = await db.query(`SELECT status, available_at <= now() AS claimable FROM boitata_inbound_queue WHERE tenant_id = $1`, [conn.tenant]);
    expect(rows).toEqual(Array(3).fill({ status: 'pending', claimable: true }));
    await testProcessor([conn.tenant]).drain();
    expect(await countRows(conn.tenant, 'graceful')).toEqual({ rows: 6, distinct: 6 });
  });

  it('SIGTERM: a batch that has started writing is left to its lease (it may still commit), then lands once', async () => {
    const conn = await newConnection();
    await pushMany(conn, 'graceful_written', 3, 2);
    const proc = spawnProcessor({ PROCESSOR_TENANTS: conn.tenant, BOITATA_PROCESSOR_PAUSE_AT: 'written', PROCESSOR_SHUTDOWN_GRACE_SECONDS: '1' });
    await proc.waitFor((line) => line['msg'] === 'paused for a test');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(await queueStatus(conn.tenant)).toEqual({ processing: 3 });
    expect(await settle(testProcessor([conn.tenant]), conn.tenant)).toEqual({ done: 3 });
    expect(await countRows(conn.tenant, 'graceful_written')).toEqual({ rows: 6, distinct: 6 });
  });

  it('SIGTERM while idle exits 0 at once', async () => {
    const proc = spawnProcessor({ PROCESSOR_TENANTS: 'nobody-here' });
    await proc.waitFor((line) => line['msg'] === 'processor started');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.lines.at(-1)).toMatchObject({ msg: 'processor stopped', finished_batch: true });
  });
});

describeWarehouse('maintenance', () => {
  it('compacts a table written by many small commits and prunes old acknowledged queue rows', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant]);
    for (let i = 0; i < 4; i++) {
      await push(conn, [{ i, note: `commit ${i}` }], 'small_files');
      await processor.drain(); // one Iceberg commit, one data file each
    }
    const files = async () => Number((await trinoQuery(`SELECT count(*) AS n FROM iceberg."tenant_${conn.tenant}"."small_files$files"`))[0]!['n']);
    expect(await files()).toBe(4);
    await db.query(`UPDATE boitata_inbound_queue SET processed_at = now() - interval '100 hours' WHERE tenant_id = $1 AND (payload->0->>'i')::int < 2`, [
      conn.tenant,
    ]);

    const result = await runMaintenance(db, warehouse(), silentLog, 72, [conn.tenant]);
    expect(result).toMatchObject({ tables: 1, failedTables: 0, prunedMessages: 2, prunedDeadMessages: 0 });
    expect(await files()).toBe(1);
    expect(await countRows(conn.tenant, 'small_files')).toEqual({ rows: 4, distinct: 4 });
    expect(await queueStatus(conn.tenant)).toEqual({ done: 2 });
  });
});
