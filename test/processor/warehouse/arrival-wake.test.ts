// Arrivals wake the processor (LISTEN boitata_inbound, migration 0010's trigger): a message lands long before the
// poll would claim it, a dropped LISTEN connection falls back to the poll and comes back, and a burst of requests
// is still collected into a few commits (PROCESSOR_COMMIT_INTERVAL_MS). The real Processor, Postgres and DuckDB.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { countingWarehouse } from '../../../bench/processor/counting-warehouse.ts';
import { addConnection } from '../../../cli/connections.ts';
import { BatchLoader } from '../../../processor/batch-loader.ts';
import { createLogger } from '../../../processor/logger.ts';
import { Processor, type ProcessorSettings } from '../../../processor/processor.ts';
import { ArrivalListener } from '../../../processor/queue/arrival-listener.ts';
import { QueueStore } from '../../../processor/queue/queue-store.ts';
import { SchemaRegistry } from '../../../processor/schema/schema-registry.ts';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';
import { databaseUrl, db, newTenant, testHasher } from './support.ts';

const dir = join(tmpdir(), `boitata-arrival-${randomUUID().slice(0, 8)}`);
const running: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});
afterAll(async () => {
  await db.end();
  await rm(dir, { recursive: true, force: true });
});

/** A tenant, a connection, and a way to insert its one-row messages as the edge does: one statement each. */
async function newSender() {
  const tenant = await newTenant();
  const { connection } = await addConnection(db, { tenant, name: `c-${randomUUID().slice(0, 8)}` });
  const send = async (i: number): Promise<string> => {
    const messageId = randomUUID();
    await db.query(
      `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
       VALUES ($1, $2, $3, 'push', 'array', 'events', $4, 1, $5, $3)`,
      [messageId, tenant, connection.id, JSON.stringify([{ i, kind: 'arrival' }]), JSON.stringify({ message_id: messageId })],
    );
    return messageId;
  };
  return { tenant, send };
}

/** The real loop on a DuckDB file of its own, woken by a real listener; stopped after the test. */
async function startProcessor(tenant: string, settings: Partial<ProcessorSettings>, listener: { reconnectMs?: number } = {}) {
  const counted = countingWarehouse(new DuckDbWarehouse({ path: join(dir, `${tenant}.duckdb`), schemaPrefix: 'tenant_' }));
  const registry = new SchemaRegistry({ pool: db, poolSize: 4, warehouse: counted.warehouse });
  const processor = new Processor({
    queue: new QueueStore(db, `arrival-${randomUUID().slice(0, 8)}`, 60, [tenant]),
    loader: new BatchLoader({ warehouse: counted.warehouse, registry, hasher: testHasher }),
    log: createLogger('error', () => undefined),
    settings: { batchSize: 500, pollIntervalMs: 30_000, leaseSeconds: 60, maxAttempts: 5, commitIntervalMs: 500, ...settings },
  });
  const applicationName = `h-arrivals-${randomUUID().slice(0, 8)}`;
  const logs: string[] = [];
  const arrivals = { count: 0 };
  const wake = new ArrivalListener({
    connectionString: databaseUrl,
    applicationName,
    onArrival: () => {
      arrivals.count += 1;
      processor.notify();
    },
    log: createLogger('info', (line) => logs.push(line)),
    ...listener,
  });
  await wake.start();
  expect(wake.listening).toBe(true);
  const loop = processor.run();
  running.push(async () => {
    processor.stop();
    await wake.close();
    await loop;
    await counted.warehouse.close();
  });
  return { processor, listener: wake, applicationName, logs, arrivals, writes: counted.writes, warehouse: counted.warehouse };
}

/** Seconds from received to acknowledged, once the message is done (null while it is not). */
async function freshness(messageId: string): Promise<number | null> {
  const { rows } = await db.query<{ s: number | null }>(
    `SELECT extract(epoch FROM processed_at - received_at)::float8 AS s FROM boitata_inbound_queue WHERE message_id = $1 AND status = 'done'`,
    [messageId],
  );
  return rows[0]?.s ?? null;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

const landed = (messageId: string, timeoutMs: number) => waitFor(`message ${messageId} to land`, () => freshness(messageId), timeoutMs);

describe('arrivals wake the processor', () => {
  it('lands a message on an idle system within 2 s though the poll interval is 30 s', async () => {
    const { tenant, send } = await newSender();
    await startProcessor(tenant, { pollIntervalMs: 30_000, lanes: 2 });
    await sleep(300); // the first lane's claim at start has come back empty: from here on only a wake-up claims
    // The first message creates the table; the next two are spaced wider than the commit interval.
    for (let i = 0; i < 3; i++) {
      const sent = Date.now();
      const id = await send(i);
      const seconds = await landed(id, 10_000);
      expect(seconds, `message ${i}: received → acknowledged`).toBeLessThan(2);
      expect(Date.now() - sent).toBeLessThan(2_500);
      await sleep(700);
    }
  });

  it('drains by the poll while its LISTEN connection is gone, then listens again', async () => {
    const { tenant, send } = await newSender();
    const { listener, applicationName, logs, arrivals } = await startProcessor(tenant, { pollIntervalMs: 1_500, lanes: 1 }, { reconnectMs: 8_000 });
    const backend = async () => {
      const { rows } = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      return rows[0]?.pid ?? null;
    };
    const before = await waitFor('the listener in pg_stat_activity', backend, 5_000);
    const { rows } = await db.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [before]);
    expect(rows[0]!.ok).toBe(true);
    await waitFor('the listener to notice', async () => !listener.listening, 5_000);

    // No listener for 8 s: the poll (every 1.5 s) claims the message.
    const orphan = await send(1);
    expect(await landed(orphan, 7_000)).toBeLessThan(7);
    expect(listener.listening, 'landed before the listener came back').toBe(false);
    expect(logs.some((line) => line.includes('arrival listener lost its connection'))).toBe(true);
    expect(logs.join('\n')).not.toContain(databaseUrl);

    // Back after its backoff, on a new backend, and notifications wake the processor again.
    await waitFor('the listener to reconnect', async () => listener.listening, 20_000);
    const after = await waitFor('the new listener backend', backend, 5_000);
    expect(after).not.toBe(before);
    const heard = arrivals.count;
    const woken = await send(2);
    await waitFor('the notification', async () => arrivals.count > heard, 2_000);
    expect(await landed(woken, 5_000)).toBeLessThan(5);
  });

  it('claims again an interval after a batch its row cap cut short: one notification drains a backlog', async () => {
    const { tenant } = await newSender();
    const { connection } = await addConnection(db, { tenant, name: `c-${randomUUID().slice(0, 8)}` });
    await startProcessor(tenant, { pollIntervalMs: 30_000, lanes: 1, commitIntervalMs: 200, claim: { rows: 10 } });
    await sleep(300);
    // 60 messages in one statement: one notification, six claims' worth at 10 rows a claim.
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const values = ids.map((_, i) => `($${i + 1}::uuid, $61, $62::uuid, 'push', 'array', 'events', '[{"n": ${i}}]', 1, '{}', $62::uuid)`);
    await db.query(
      `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
       VALUES ${values.join(', ')}`,
      [...ids, tenant, connection.id],
    );
    const started = Date.now();
    await waitFor(
      'the backlog to land',
      async () => {
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM boitata_inbound_queue WHERE tenant_id = $1 AND status = 'done'`, [
          tenant,
        ]);
        return rows[0]!.n === 60;
      },
      20_000,
    );
    // Six claims an interval apart, not one per 30-s poll.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('collects a burst of one-statement inserts into a few commits: one per commit interval at most', async () => {
    const { tenant, send } = await newSender();
    const intervalMs = 500;
    const { writes, warehouse } = await startProcessor(tenant, { pollIntervalMs: 30_000, lanes: 2, commitIntervalMs: intervalMs });
    await send(0); // creates the table, so the burst below measures landing only
    await waitFor('the table', async () => (writes.get(`tenant_${tenant}.events`) ?? 0) > 0, 10_000);
    await sleep(intervalMs);
    const before = writes.get(`tenant_${tenant}.events`)!;

    const burst = 300;
    const started = Date.now();
    // Four senders at once, one statement (one notification) per message.
    await Promise.all(
      [0, 1, 2, 3].map(async (sender) => {
        for (let i = sender; i < burst; i += 4) await send(1 + i);
      }),
    );
    const insertMs = Date.now() - started;
    await waitFor(
      'the burst to land',
      async () => {
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM boitata_inbound_queue WHERE tenant_id = $1 AND status <> 'done'`, [
          tenant,
        ]);
        return rows[0]!.n === 0;
      },
      30_000,
    );
    const commits = writes.get(`tenant_${tenant}.events`)! - before;
    // Claims start at least an interval apart: the ones inside the burst, plus the one that takes its tail.
    expect(commits).toBeGreaterThan(0);
    expect(commits, `${burst} messages inserted over ${insertMs} ms`).toBeLessThanOrEqual(Math.floor(insertMs / intervalMs) + 2);
    expect(commits).toBeLessThan(burst / 10);
    const { rows } = await warehouse.query(`SELECT count(*) AS n FROM "tenant_${tenant}"."events"`);
    expect(Number(rows[0]![0])).toBe(burst + 1);
  });
});
