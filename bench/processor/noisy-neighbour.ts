// bench/processor: tenant B's freshness and the processor's peak RSS with a noisy tenant A, beside B alone (same run).
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { startLocalEdge } from '../../dev/run-local-edge.ts';
import { describeResult, runNoisyScenario, type NoisyScenarioResult, type ScenarioWarehouse } from '../../test/processor/noisy/noisy-scenario.ts';
import { probeTrino } from '../../test/support/trino-probe.ts';
import { recreateTestDatabase } from '../../test/support/test-database.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 75);
const SETTLE_SECONDS = Number(process.env['BENCH_SETTLE_SECONDS'] ?? 45);
const A_PER_SECOND = Number(process.env['BENCH_A_PER_SECOND'] ?? 2);
// duckdb, trino, or both (the default: Trino when one answers)
const WAREHOUSES = (process.env['BENCH_WAREHOUSE'] ?? 'duckdb,trino').split(',');
const databaseUrl = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/boitata_bench_noisy';
const edgePort = Number(process.env['BENCH_EDGE_PORT'] ?? 8793);

const pool: pg.Pool = await recreateTestDatabase(databaseUrl);
const edge = await startLocalEdge({ databaseUrl, port: edgePort });
const files: string[] = [];

const warehouses: ScenarioWarehouse[] = [];
for (const kind of WAREHOUSES) {
  if (kind === 'duckdb') {
    const path = join(tmpdir(), `boitata-bench-noisy-${randomUUID().slice(0, 8)}.duckdb`);
    files.push(path, `${path}.wal`);
    warehouses.push({ kind: 'duckdb', path });
  } else if (kind === 'trino') {
    const trino = await probeTrino(); // says why when there is none (and fails under BOITATA_REQUIRE_TRINO=1)
    if (trino.ready) warehouses.push({ kind: 'trino', url: trino.url });
  } else throw new Error(`BENCH_WAREHOUSE: unknown warehouse "${kind}" (duckdb, trino)`);
}

const row = (label: string, r: NoisyScenarioResult) => {
  const s = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'never');
  return (
    `${label.padEnd(34)} ${s(r.b.freshness.p50).padStart(8)} ${s(r.b.freshness.p99).padStart(8)} ${s(r.b.freshness.max).padStart(8)} ` +
    `${String(r.b.notLanded).padStart(10)} ${(r.processor.peakRssBytes / 1024 / 1024).toFixed(0).padStart(9)} ${String(r.processor.crashes.length).padStart(8)} ` +
    `${r.a.landedRowsPerSecond.toFixed(0).padStart(9)}`
  );
};

try {
  console.log(
    `bench/processor noisy-neighbour: ${SECONDS} s of tenant B (one row every 0.5 s) alone, then beside tenant A ` +
      `(${A_PER_SECOND} ~1 MiB pushes/s at the documented caps, plus 24 × 349,524-row, a 2,000-table and a 50,000-key message queued by an "older edge"); ` +
      `up to ${SETTLE_SECONDS} s to settle`,
  );
  const table: string[] = [];
  for (const warehouse of warehouses) {
    const common = {
      pool,
      databaseUrl,
      edgeUrl: edge.url,
      warehouse,
      seconds: SECONDS,
      settleSeconds: SETTLE_SECONDS,
      aPerSecond: A_PER_SECOND,
      progress: (line: string) => console.log(line),
    };
    console.log(`\n[${warehouse.kind}] baseline: B alone`);
    const baseline = await runNoisyScenario({ ...common, noisy: false });
    console.log(describeResult(`[${warehouse.kind}] baseline`, baseline));
    console.log(`\n[${warehouse.kind}] noisy: B beside A`);
    const noisy = await runNoisyScenario({ ...common, noisy: true });
    console.log(describeResult(`[${warehouse.kind}] noisy`, noisy));
    table.push(row(`${warehouse.kind}: B alone (baseline)`, baseline), row(`${warehouse.kind}: B beside noisy A`, noisy));
  }
  console.log('');
  console.log(
    `${'run'.padEnd(34)} ${'B p50 s'.padStart(8)} ${'B p99 s'.padStart(8)} ${'B max s'.padStart(8)} ${'not landed'.padStart(10)} ${'peak MiB'.padStart(9)} ${'crashes'.padStart(8)} ${'A rows/s'.padStart(9)}`,
  );
  for (const line of table) console.log(line);
  console.log('\ntargets: B p99 <= 10 s beside A; processor peak RSS <= 1024 MiB; no crash; nothing of B lost or duplicated');
} finally {
  await edge.stop();
  await pool.end();
  for (const file of files) await rm(file, { force: true });
}
