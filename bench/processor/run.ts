// bench/processor: drain 100,000 queued rows (3 tables) into Trino/Iceberg, side by side with a direct bulk INSERT of the same rows;
// then freshness under 70 % of that load, woken by arrivals as production runs and by the poll alone, commits per table counted.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { addConnection } from '../../cli/connections.ts';
import { addTenant } from '../../cli/tenants.ts';
import { BatchLoader } from '../../processor/batch-loader.ts';
import { parseConfig } from '../../processor/config.ts';
import { flattenRow } from '../../processor/normalize/flatten-row.ts';
import { createLogger } from '../../processor/logger.ts';
import { Processor } from '../../processor/processor.ts';
import { ArrivalListener } from '../../processor/queue/arrival-listener.ts';
import { QueueStore } from '../../processor/queue/queue-store.ts';
import { canonicalTimestamp, coerceValue, columnType, type Cell, type ColumnType } from '../../processor/schema/column-types.ts';
import { SchemaRegistry } from '../../processor/schema/schema-registry.ts';
import type { LoadRow } from '../../processor/warehouse/warehouse.ts';
import { renderInserts } from '../../processor/warehouse/trino-sql.ts';
import { TrinoWarehouse } from '../../processor/warehouse/trino-warehouse.ts';
import { PiiHasher } from '../../processor/schema/pii-hasher.ts';
import { recreateTestDatabase } from '../../test/support/test-database.ts';
import { countingWarehouse } from './counting-warehouse.ts';
import { BENCH_TABLES, benchRow } from './dataset.ts';
import { percentile } from './percentile.ts';

const TOTAL_ROWS = Number(process.env['BENCH_ROWS'] ?? 100_000);
const ROWS_PER_MESSAGE = Number(process.env['BENCH_ROWS_PER_MESSAGE'] ?? 100);
const BATCH_SIZE = Number(process.env['BENCH_BATCH_SIZE'] ?? 500);
const FRESHNESS_SECONDS = Number(process.env['BENCH_FRESHNESS_SECONDS'] ?? 30);
const TRINO_URL = process.env['TRINO_URL'] ?? 'http://127.0.0.1:8090';
const MAX_QUERY_LENGTH = 1_000_000;
const databaseUrl = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/boitata_bench';
// The processor's default (or PROCESSOR_COMMIT_INTERVAL_MS from the environment), as production runs it.
const COMMIT_INTERVAL_MS = parseConfig(process.env).PROCESSOR_COMMIT_INTERVAL_MS;

const pool: pg.Pool = await recreateTestDatabase(databaseUrl);
const run = Date.now().toString(36);
const log = createLogger(process.env['BENCH_VERBOSE'] === '1' ? 'info' : 'error');
const warehouse = (prefix: string) =>
  new TrinoWarehouse({
    url: TRINO_URL,
    user: 'boitata-bench',
    statementTimeoutMs: 600_000,
    catalog: 'iceberg',
    schemaPrefix: prefix,
    maxQueryLength: MAX_QUERY_LENGTH,
    snapshotRetention: '7d',
  });

/** Messages of ROWS_PER_MESSAGE rows, round-robin over the three tables, numbered from `start`. */
function* messages(count: number, start = 0): Generator<{ table: string; rows: Record<string, unknown>[] }> {
  for (let m = 0; m < count; m++) {
    const table = BENCH_TABLES[m % BENCH_TABLES.length]!;
    const base = (start + m) * ROWS_PER_MESSAGE;
    yield { table, rows: Array.from({ length: ROWS_PER_MESSAGE }, (_, r) => benchRow(table, base + r)) };
  }
}

async function enqueue(batch: Array<{ table: string; rows: unknown[] }>): Promise<void> {
  const values: unknown[] = [];
  const tuples = batch.map((message, i) => {
    values.push(randomUUID(), message.table, JSON.stringify(message.rows), message.rows.length);
    const p = i * 4;
    return `($${p + 1}::uuid, '${tenant}', '${connectionId}', 'push', 'array', $${p + 2}, $${p + 3}::jsonb, $${p + 4}, '{}', '${connectionId}')`;
  });
  await pool.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
     VALUES ${tuples.join(', ')}`,
    values,
  );
}

async function newTenant(name: string) {
  const id = `bench-${name}-${run}`;
  await addTenant(pool, { id });
  const { connection } = await addConnection(pool, { tenant: id, name: 'bench', rateLimitPerMinute: 1_000_000 });
  return { tenant: id, connectionId: connection.id };
}

/** `notify`: as production runs it (LISTEN wakes it, claims at least the commit interval apart); `poll`: the poll alone, as before. */
type Wake = 'notify' | 'poll';

/** The real loop (3 s poll, two lanes, a full batch followed at once by the next claim), its writes counted per table. */
async function startProcessor(wake: Wake) {
  const counted = countingWarehouse(warehouse('bench_'));
  const registry = new SchemaRegistry({ pool, warehouse: counted.warehouse });
  const loader = new BatchLoader({ warehouse: counted.warehouse, registry, hasher });
  const processor = new Processor({
    queue: new QueueStore(pool, `bench-${randomUUID().slice(0, 8)}`, 600, [tenant]),
    loader,
    log,
    settings: {
      batchSize: BATCH_SIZE,
      pollIntervalMs: 3000,
      leaseSeconds: 600,
      maxAttempts: 5,
      ...(wake === 'notify' ? { commitIntervalMs: COMMIT_INTERVAL_MS } : {}),
    },
  });
  const listener =
    wake === 'notify'
      ? new ArrivalListener({ connectionString: databaseUrl, applicationName: 'boitata-bench-arrivals', onArrival: () => processor.notify(), log })
      : null;
  await listener?.start();
  if (listener !== null && !listener.listening) throw new Error('the arrival listener did not connect');
  const loop = processor.run();
  return {
    writes: counted.writes,
    stop: async () => {
      processor.stop();
      await listener?.close();
      await loop;
    },
  };
}

const hasher = new PiiHasher('hmac', Buffer.from('bench-pii-hash-key-0123456789', 'utf8'));
const messageCount = Math.ceil(TOTAL_ROWS / ROWS_PER_MESSAGE);

// 1. One tenant; its three tables exist before anything is timed (creating them is not what is measured). Each
// freshness run below gets a tenant of its own, made the same way: its tables start with the same (short) history.
let { tenant, connectionId } = await newTenant('run');
async function createTables(): Promise<void> {
  await enqueue([...messages(3, 50_000_000)]);
  const wh = warehouse('bench_');
  await new Processor({
    queue: new QueueStore(pool, `bench-${randomUUID().slice(0, 8)}`, 600, [tenant]),
    loader: new BatchLoader({ warehouse: wh, registry: new SchemaRegistry({ pool, warehouse: wh }), hasher }),
    log,
    settings: { batchSize: BATCH_SIZE, pollIntervalMs: 3000, leaseSeconds: 600, maxAttempts: 5 },
  }).drain();
}
await createTables();

// 2. Direct bulk INSERT: the same rows, rendered by the same code at the same statement size (rendering is not
// timed): no queue, no registry, no JSON parsing in Node, no acknowledgements. The floor.
async function direct(): Promise<number> {
  const wh = warehouse('bench_');
  const columns = new Map<string, Map<string, { physical_name: string; data_type: ColumnType; pii: boolean }>>();
  for (const table of BENCH_TABLES) {
    const { rows } = await pool.query('SELECT logical_name, physical_name, data_type, pii FROM boitata_columns WHERE tenant_id = $1 AND table_name = $2', [
      tenant,
      table,
    ]);
    columns.set(table, new Map(rows.map((r) => [r.logical_name, { ...r, data_type: columnType(r.data_type) }])));
  }
  const byTable = new Map<string, LoadRow[]>(BENCH_TABLES.map((t) => [t, []]));
  let sequence = 0;
  for (const message of messages(messageCount)) {
    const messageId = randomUUID();
    message.rows.forEach((row, rowId) => {
      const cells = new Map<string, Cell>();
      for (const [field, value] of flattenRow(row).fields) {
        const column = columns.get(message.table)!.get(field);
        if (column?.pii === true && value !== null) {
          cells.set(column.physical_name, { type: 'varchar', text: hasher.hash(tenant, value) }); // the same rows: PII hashed
          continue;
        }
        const coerced = column === undefined ? null : coerceValue(value, column.data_type);
        if (column !== undefined && coerced?.ok === true) cells.set(column.physical_name, coerced.cell);
      }
      const rows = byTable.get(message.table)!;
      rows.push({
        messageId,
        rowId,
        receivedAt: canonicalTimestamp(new Date().toISOString()),
        tenantId: tenant,
        endpoint: 'push',
        sequence: String(sequence),
        rescue: null,
        credential: 'connection:bench',
        sourceId: null,
        provenance: null,
        cells,
      });
    });
    sequence += 1;
  }
  const perTable = [...byTable].map(([table, rows]) => {
    const types = new Map([...columns.get(table)!.values()].map((c) => [c.physical_name, c.data_type]));
    return renderInserts(wh.tableRef(tenant, table), rows, types, MAX_QUERY_LENGTH);
  });
  // The three tables are loaded side by side, as the processor does: the floor is the best this machine does.
  const started = performance.now();
  await Promise.all(
    perTable.map(async (statements) => {
      for (const sql of statements) await wh.run(sql);
    }),
  );
  return (performance.now() - started) / 1000;
}

// 3. The processor draining the same rows from the queue (enqueued before the clock starts), running its
// real loop (two lanes, a full batch followed at once by the next claim) until every message is done; nothing arrives
// meanwhile, so `notify` and `poll` differ only by the commit interval (claims at least that far apart).
async function drain(wake: Wake): Promise<number> {
  const all = [...messages(messageCount)];
  for (let i = 0; i < all.length; i += 100) await enqueue(all.slice(i, i + 100));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const processor = await startProcessor(wake);
  await waitUntilDone();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (wake === 'notify') drainCpuSeconds.push((used.user + used.system) / 1e6);
  await processor.stop();
  await assertAllDone();
  return seconds;
}

const drainCpuSeconds: number[] = [];

async function waitUntilDone(): Promise<void> {
  for (;;) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM boitata_inbound_queue WHERE tenant_id = $1 AND status <> 'done'`, [tenant]);
    if (rows[0].n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// 4. Freshness while draining at a given rate: a producer enqueues at `rowsPerSecond` for FRESHNESS_SECONDS (one
// INSERT every 100 ms, so one notification each) while the processor runs its real loop; received → landed per
// message, and the commits each table got: Iceberg snapshots committed in the window, and the processor's writes.
interface FreshnessRun {
  seconds: number[];
  rows: number;
  producedSeconds: number;
  /** producing, then draining what is left */
  minutes: number;
  /** per table: Iceberg snapshots committed during the run */
  snapshots: number[];
  /** per table: the processor's row writes (insert/merge calls) */
  writes: number[];
}

async function freshness(rowsPerSecond: number, wake: Wake): Promise<FreshnessRun> {
  ({ tenant, connectionId } = await newTenant(`fresh-${wake}-${freshnessRuns}`));
  await createTables();
  const processor = await startProcessor(wake);
  const startedAt = new Date();
  const started = performance.now();
  let sent = 0;
  const source = messages(1_000_000, 10_000_000 + freshnessRuns++ * 1_000_000);
  while (performance.now() - started < FRESHNESS_SECONDS * 1000) {
    const due = Math.floor((((performance.now() - started) / 1000) * rowsPerSecond) / ROWS_PER_MESSAGE);
    const batch: Array<{ table: string; rows: unknown[] }> = [];
    while (sent < due) {
      batch.push(source.next().value!);
      sent += 1;
    }
    if (batch.length > 0) await enqueue(batch);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const producedSeconds = (performance.now() - started) / 1000;
  await waitUntilDone();
  const minutes = (performance.now() - started) / 60_000;
  await processor.stop();
  const { rows } = await pool.query<{ s: number }>(
    `SELECT extract(epoch FROM processed_at - received_at)::float8 AS s FROM boitata_inbound_queue WHERE tenant_id = $1 AND received_at >= $2`,
    [tenant, startedAt],
  );
  const wh = warehouse('bench_');
  const snapshots: number[] = [];
  for (const table of BENCH_TABLES) {
    const ref = wh.tableRef(tenant, table);
    const counted = await wh.run(
      `SELECT count(*) FROM "${ref.catalog}"."${ref.schema}"."${ref.table}$snapshots" WHERE committed_at >= from_iso8601_timestamp('${startedAt.toISOString()}')`,
    );
    snapshots.push(Number(counted.rows[0]![0]));
  }
  const writes = BENCH_TABLES.map((table) => processor.writes.get(`${wh.tableRef(tenant, table).schema}.${table}`) ?? 0);
  return { seconds: rows.map((r) => r.s), rows: sent * ROWS_PER_MESSAGE, producedSeconds, minutes, snapshots, writes };
}

let freshnessRuns = 0;

async function assertAllDone(): Promise<void> {
  const { rows } = await pool.query(
    `SELECT count(*) FILTER (WHERE status = 'done')::int AS done, count(*)::int AS total FROM boitata_inbound_queue WHERE tenant_id = $1`,
    [tenant],
  );
  if (rows[0].done !== rows[0].total) throw new Error(`messages left behind: ${JSON.stringify(rows[0])}`);
}

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2);
console.log(
  `bench/processor: ${messageCount * ROWS_PER_MESSAGE} rows per run (${messageCount} messages of ${ROWS_PER_MESSAGE} rows, 3 tables), batch ${BATCH_SIZE} messages, ${ROUNDS} alternating rounds, Trino ${TRINO_URL}`,
);
await direct(); // warm-up: Trino's JIT and caches, not counted
const directRuns: number[] = [];
const drainRuns: number[] = [];
// The same drain by the processor as it ran before arrivals woke it: what changed, measured on the same machine state.
const drainPollRuns: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  directRuns.push(await direct());
  drainRuns.push(await drain('notify'));
  drainPollRuns.push(await drain('poll'));
  console.log(
    `  round ${round + 1}: direct ${directRuns.at(-1)!.toFixed(2)} s, processor ${drainRuns.at(-1)!.toFixed(2)} s, processor poll only ${drainPollRuns.at(-1)!.toFixed(2)} s`,
  );
}
const rows = messageCount * ROWS_PER_MESSAGE;
const directRate = (rows * ROUNDS) / directRuns.reduce((a, b) => a + b, 0);
const drainRate = (rows * ROUNDS) / drainRuns.reduce((a, b) => a + b, 0);
const drainPollRate = (rows * ROUNDS) / drainPollRuns.reduce((a, b) => a + b, 0);
const landed = await pool.query(`SELECT sum(row_count)::int AS n FROM boitata_inbound_queue WHERE tenant_id = $1 AND status = 'done'`, [tenant]);
const target = Math.round(directRate * 0.7);
// Poll only (as before issue 13) and as production runs, in the order poll, notify, notify, poll (a machine whose
// load drifts weighs on both alike), each run on tables of its own.
const freshnessByWake: Record<Wake, FreshnessRun[]> = { notify: [], poll: [] };
for (const wake of ['poll', 'notify', 'notify', 'poll'] as const) {
  console.log(`  freshness: producing ${target} rows/s (70% of the direct rate) for ${FRESHNESS_SECONDS} s, ${wake} ...`);
  freshnessByWake[wake].push(await freshness(target, wake));
}

console.log('');
console.log('contender                          rows/s    seconds/run');
console.log(`direct bulk INSERT (floor)   ${directRate.toFixed(0).padStart(12)}    ${directRuns.map((s) => s.toFixed(2)).join(', ')}`);
console.log(`processor queue → Trino      ${drainRate.toFixed(0).padStart(12)}    ${drainRuns.map((s) => s.toFixed(2)).join(', ')}`);
console.log(`the same, poll only           ${drainPollRate.toFixed(0).padStart(12)}    ${drainPollRuns.map((s) => s.toFixed(2)).join(', ')}`);
console.log('');
console.log(
  `ratio processor/direct: ${((drainRate / directRate) * 100).toFixed(1)}% (target >= 70%); poll only: ${((drainPollRate / directRate) * 100).toFixed(1)}%`,
);
for (const [wake, label] of [
  ['notify', `woken by arrivals, ${COMMIT_INTERVAL_MS} ms commit interval`],
  ['poll', 'poll only (3 s, 2 lanes)'],
] as const) {
  const runs = freshnessByWake[wake];
  const seconds = runs.flatMap((r) => r.seconds);
  const rate = runs.reduce((sum, r) => sum + r.rows, 0) / runs.reduce((sum, r) => sum + r.producedSeconds, 0);
  const minutes = runs.reduce((sum, r) => sum + r.minutes, 0);
  // Per table, over both runs: the mean of the three tables and the busiest one.
  const perMinute = (per: (r: FreshnessRun) => number[]) => {
    const tables = BENCH_TABLES.map((_, t) => runs.reduce((sum, r) => sum + per(r)[t]!, 0) / minutes);
    return `${(tables.reduce((a, b) => a + b, 0) / tables.length).toFixed(1)} (max ${Math.max(...tables).toFixed(1)})`;
  };
  console.log(
    `freshness at ${rate.toFixed(0)} rows/s over ${seconds.length} messages (${runs.length} runs), ${label}: p50 ${percentile(seconds, 0.5).toFixed(2)} s, ` +
      `p99 ${percentile(seconds, 0.99).toFixed(2)} s, max ${Math.max(...seconds).toFixed(2)} s (targets p50 <= 5 s, p99 <= 10 s); per run p50 ` +
      `${runs.map((r) => percentile(r.seconds, 0.5).toFixed(2)).join(', ')} s; commits per table per minute: ${perMinute((r) => r.snapshots)} Iceberg snapshots, ` +
      `${perMinute((r) => r.writes)} writes`,
  );
}
console.log(
  `processor CPU in Node while draining: ${drainCpuSeconds.map((s) => s.toFixed(2)).join(', ')} s (of ${drainRuns.map((s) => s.toFixed(2)).join(', ')} s wall; 2 cores shared with Trino and Postgres)`,
);
console.log(`rows landed by the processor (warm-up included): ${landed.rows[0].n}`);
await pool.end();
