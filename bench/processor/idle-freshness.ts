// bench/processor: one message at a time into an idle system (random gaps), received → acknowledged, woken by
// arrivals (LISTEN + commit interval, as production runs) against the poll alone (3 s, 2 lanes), on DuckDB and Trino.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { addConnection } from '../../cli/connections.ts';
import { addTenant } from '../../cli/tenants.ts';
import { BatchLoader } from '../../processor/batch-loader.ts';
import { parseConfig } from '../../processor/config.ts';
import { createLogger } from '../../processor/logger.ts';
import { Processor } from '../../processor/processor.ts';
import { ArrivalListener } from '../../processor/queue/arrival-listener.ts';
import { QueueStore } from '../../processor/queue/queue-store.ts';
import { PiiHasher } from '../../processor/schema/pii-hasher.ts';
import { SchemaRegistry } from '../../processor/schema/schema-registry.ts';
import { DuckDbWarehouse } from '../../processor/warehouse/duckdb-warehouse.ts';
import { TrinoWarehouse } from '../../processor/warehouse/trino-warehouse.ts';
import type { Warehouse } from '../../processor/warehouse/warehouse.ts';
import { recreateTestDatabase } from '../../test/support/test-database.ts';
import { probeTrino } from '../../test/support/trino-probe.ts';
import { countingWarehouse } from './counting-warehouse.ts';
import { percentile } from './percentile.ts';

// Per warehouse and mode; sent in two halves, alternating modes (notify, poll, notify, poll), so drift in the
// machine's load falls on both alike.
const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 40);
const WAREHOUSES = (process.env['BENCH_WAREHOUSE'] ?? 'duckdb,trino').split(',');
const databaseUrl = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/boitata_bench';
// The processor's own defaults (PROCESSOR_COMMIT_INTERVAL_MS, PROCESSOR_POLL_INTERVAL_MS, PROCESSOR_LANES), or what the environment sets.
const config = parseConfig(process.env);
const GAP_MS = [500, 1500] as const;
const TARGET_P50_MS = { duckdb: 100, trino: 600 } as const;

type Kind = 'duckdb' | 'trino';
type Mode = 'notify' | 'poll';

const pool: pg.Pool = await recreateTestDatabase(databaseUrl);
const log = createLogger(process.env['BENCH_VERBOSE'] === '1' ? 'info' : 'error');
const hasher = new PiiHasher('hmac', Buffer.from('bench-pii-hash-key-0123456789', 'utf8'));
const files: string[] = [];

const tenant = `bench-idle-${Date.now().toString(36)}`;
await addTenant(pool, { id: tenant });
const { connection } = await addConnection(pool, { tenant, name: 'bench', rateLimitPerMinute: 1_000_000 });

/** One one-row message, inserted as the edge does: one statement (so one notification). */
async function send(table: string, i: number): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
     VALUES ($1, $2, $3, 'push', 'array', $4, $5, 1, $6, $3)`,
    [id, tenant, connection.id, table, JSON.stringify([{ order_id: i, total: i / 100, status: 'paid', at: new Date().toISOString() }]), JSON.stringify({})],
  );
  return id;
}

async function waitUntilDone(ids: readonly string[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM boitata_inbound_queue WHERE message_id = ANY($1::uuid[]) AND status = 'done'`, [ids]);
    if (rows[0].n === ids.length) return;
    if (Date.now() > deadline) throw new Error(`${ids.length - rows[0].n} of ${ids.length} messages not landed after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The real loop in the given mode: `notify` as production runs it, `poll` as before arrivals woke it. */
async function startProcessor(warehouse: Warehouse, mode: Mode) {
  const registry = new SchemaRegistry({ pool, warehouse });
  const processor = new Processor({
    queue: new QueueStore(pool, `bench-idle-${randomUUID().slice(0, 8)}`, 60, [tenant]),
    loader: new BatchLoader({ warehouse, registry, hasher }),
    log,
    settings: {
      batchSize: config.PROCESSOR_BATCH_SIZE,
      pollIntervalMs: config.PROCESSOR_POLL_INTERVAL_MS,
      leaseSeconds: 60,
      maxAttempts: 5,
      lanes: config.PROCESSOR_LANES,
      ...(mode === 'notify' ? { commitIntervalMs: config.PROCESSOR_COMMIT_INTERVAL_MS } : {}),
    },
  });
  const listener =
    mode === 'notify'
      ? new ArrivalListener({ connectionString: databaseUrl, applicationName: 'boitata-bench-arrivals', onArrival: () => processor.notify(), log })
      : null;
  await listener?.start();
  if (listener !== null && !listener.listening) throw new Error('the arrival listener did not connect');
  const loop = processor.run();
  return async () => {
    processor.stop();
    await listener?.close();
    await loop;
  };
}

/** `count` messages one at a time with random gaps; received → acknowledged of each, in seconds. */
async function series(warehouse: Warehouse, table: string, mode: Mode, count: number, start: number): Promise<number[]> {
  const stop = await startProcessor(warehouse, mode);
  try {
    // The processor's first message (its schema cache is cold) is not counted, nor is its claim at start.
    const first = await send(table, start);
    await waitUntilDone([first]);
    const ids: string[] = [];
    for (let i = 1; i <= count; i++) {
      await sleep(GAP_MS[0] + Math.random() * (GAP_MS[1] - GAP_MS[0]));
      ids.push(await send(table, start + i));
    }
    await waitUntilDone(ids);
    const { rows } = await pool.query<{ s: number }>(
      `SELECT extract(epoch FROM processed_at - received_at)::float8 AS s FROM boitata_inbound_queue WHERE message_id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((r) => r.s);
  } finally {
    await stop();
  }
}

function createWarehouse(kind: Kind, trinoUrl: string): Warehouse {
  if (kind === 'duckdb') {
    const path = join(tmpdir(), `boitata-bench-idle-${randomUUID().slice(0, 8)}.duckdb`);
    files.push(path, `${path}.wal`);
    return new DuckDbWarehouse({ path, schemaPrefix: 'bench_' });
  }
  return new TrinoWarehouse({
    url: trinoUrl,
    user: 'boitata-bench',
    statementTimeoutMs: 120_000,
    catalog: 'iceberg',
    schemaPrefix: 'bench_',
    maxQueryLength: 1_000_000,
    snapshotRetention: '7d',
  });
}

interface Result {
  kind: Kind;
  mode: Mode;
  seconds: number[];
  writesPerMinute: number;
}

const results: Result[] = [];
console.log(
  `bench/processor idle freshness: ${MESSAGES} one-row messages per warehouse and mode, one at a time, ${GAP_MS[0]}–${GAP_MS[1]} ms apart; ` +
    `notify = LISTEN + commit interval ${config.PROCESSOR_COMMIT_INTERVAL_MS} ms, poll = the poll alone; both poll every ` +
    `${config.PROCESSOR_POLL_INTERVAL_MS} ms with ${config.PROCESSOR_LANES} lanes`,
);
for (const kind of WAREHOUSES) {
  if (kind !== 'duckdb' && kind !== 'trino') throw new Error(`BENCH_WAREHOUSE: unknown warehouse "${kind}" (duckdb, trino)`);
  let trinoUrl = '';
  if (kind === 'trino') {
    const trino = await probeTrino(); // says why when there is none (and fails under BOITATA_REQUIRE_TRINO=1)
    if (!trino.ready) {
      console.log(`  trino: skipped (${trino.reason})`);
      continue;
    }
    trinoUrl = trino.url;
  }
  const table = `idle_${kind}`;
  const counted = countingWarehouse(createWarehouse(kind, trinoUrl));
  const stop = await startProcessor(counted.warehouse, 'poll'); // creates the table: not what is measured
  await waitUntilDone([await send(table, 0)]);
  await stop();
  const byMode: Record<Mode, { seconds: number[]; writes: number; ms: number }> = {
    notify: { seconds: [], writes: 0, ms: 0 },
    poll: { seconds: [], writes: 0, ms: 0 },
  };
  const halves = [Math.ceil(MESSAGES / 2), Math.floor(MESSAGES / 2)];
  let next = 1;
  for (const half of halves) {
    for (const mode of ['notify', 'poll'] as const) {
      const key = `bench_${tenant}.${table}`;
      const [writesBefore, started] = [counted.writes.get(key) ?? 0, performance.now()];
      byMode[mode].seconds.push(...(await series(counted.warehouse, table, mode, half, next)));
      byMode[mode].writes += (counted.writes.get(key) ?? 0) - writesBefore;
      byMode[mode].ms += performance.now() - started;
      next += half + 1;
      console.log(`  ${kind} ${mode}: ${byMode[mode].seconds.length} messages so far`);
    }
  }
  await counted.warehouse.close();
  for (const mode of ['notify', 'poll'] as const) {
    results.push({ kind, mode, seconds: byMode[mode].seconds, writesPerMinute: byMode[mode].writes / (byMode[mode].ms / 60_000) });
  }
}

const ms = (seconds: number) => `${(seconds * 1000).toFixed(0)} ms`;
console.log('');
console.log('warehouse  wake-up                      messages       p50       p99       max   writes/table/min   target p50');
for (const r of results) {
  const label = r.mode === 'notify' ? `notify (${config.PROCESSOR_COMMIT_INTERVAL_MS} ms interval)` : `poll only (${config.PROCESSOR_POLL_INTERVAL_MS} ms)`;
  const p50 = percentile(r.seconds, 0.5);
  const target = r.mode === 'notify' ? `<= ${TARGET_P50_MS[r.kind]} ms: ${p50 * 1000 <= TARGET_P50_MS[r.kind] ? 'met' : 'MISSED'}` : '';
  console.log(
    `${r.kind.padEnd(10)} ${label.padEnd(28)} ${String(r.seconds.length).padStart(8)} ${ms(p50).padStart(9)} ${ms(percentile(r.seconds, 0.99)).padStart(9)} ` +
      `${ms(Math.max(...r.seconds)).padStart(9)} ${r.writesPerMinute.toFixed(1).padStart(18)}   ${target}`,
  );
}
console.log("(received → acknowledged: the queue's processed_at − received_at; the machine is shared, so figures vary between runs)");
await pool.end();
for (const file of files) await rm(file, { force: true });
