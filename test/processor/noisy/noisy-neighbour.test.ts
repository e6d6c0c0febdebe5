// One tenant never stalls or crashes ingestion for another: the real edge, the real processor (a child process), both warehouses.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { describeResult, runNoisyScenario, type NoisyScenarioResult, type ScenarioWarehouse } from './noisy-scenario.ts';

/** The documented bounds (README, Performance → "A noisy neighbour"). */
const FRESHNESS_P99_SECONDS = 10;
// Trino: the processor alone (measured ~180 MiB). DuckDB runs inside the processor: its buffer pool (capped at 640 MB,
// processor/warehouse/duckdb-file.ts) adds to a heap capped at 512 MB (the container's NODE_OPTIONS).
const PEAK_RSS_BYTES = { trino: 1024 ** 3, duckdb: 1.25 * 1024 ** 3 } as const;
const rssBound = (kind: ScenarioWarehouse['kind']) => PEAK_RSS_BYTES[kind];

// 75 s of traffic, then up to 45 s for the last messages: about 3 minutes per warehouse.
const SECONDS = Number(process.env['NOISY_SECONDS'] ?? 75);
const SETTLE_SECONDS = Number(process.env['NOISY_SETTLE_SECONDS'] ?? 45);

const databaseUrl = inject('databaseUrl');
const trinoUrl = inject('trinoUrl');
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
const duckDbFile = join(tmpdir(), `boitata-noisy-${process.pid}-${randomUUID().slice(0, 8)}.duckdb`);

afterAll(async () => {
  await pool.end();
  await rm(duckDbFile, { force: true });
  await rm(`${duckDbFile}.wal`, { force: true });
});

function noisyNeighbourSuite(warehouse: ScenarioWarehouse) {
  it(`tenant B's one-row messages land within ${FRESHNESS_P99_SECONDS} s (p99) and the processor stays under ${(rssBound(warehouse.kind) / 1024 ** 3).toFixed(2)} GiB while tenant A floods`, async () => {
    const result = await runNoisyScenario({
      pool,
      databaseUrl,
      edgeUrl: inject('edgeUrl'),
      warehouse,
      noisy: true,
      seconds: SECONDS,
      settleSeconds: SETTLE_SECONDS,
      progress: (line) => console.log(line),
    });
    console.log(describeResult(`noisy neighbour [${warehouse.kind}]`, result));
    expectTenantBUnaffected(result);
    expectBoundedProcessor(result, warehouse.kind);
    expectTenantAHandled(result, warehouse.kind);
  });
}

// Soft: a failing run reports every broken promise at once, with the figures printed above.
function expectTenantBUnaffected(r: NoisyScenarioResult) {
  expect.soft(r.b.sent, 'B sent messages throughout the window').toBeGreaterThan(SECONDS);
  expect.soft(r.b.refused, "the edge answered 202 to every one of B's messages").toEqual({});
  expect.soft(r.b.notLanded, "B's messages not landed by the end of the run").toBe(0);
  expect.soft(r.b.freshness.p99, "B's freshness p99 (s): received → landed").toBeLessThanOrEqual(FRESHNESS_P99_SECONDS);
  const notOnce = [...r.b.rowsPerMarker].filter(([, rows]) => rows !== 1);
  expect.soft(notOnce, "B's markers not in the warehouse exactly once (lost: 0, duplicated: > 1)").toEqual([]);
  expect.soft(r.b.unexpectedMarkers, "rows in B's table that B never sent").toBe(0);
}

function expectBoundedProcessor(r: NoisyScenarioResult, kind: ScenarioWarehouse['kind']) {
  expect.soft(r.processor.peakRssBytes, 'processor peak RSS (bytes, VmHWM)').toBeLessThanOrEqual(rssBound(kind));
  expect
    .soft(
      r.processor.crashes.map((c) => `${c.signal ?? `exit ${c.code}`} at ${(c.atMs / 1000).toFixed(0)} s: ${c.stderrTail.slice(-300)}`),
      'processor crashes',
    )
    .toEqual([]);
}

function expectTenantAHandled(r: NoisyScenarioResult, kind: ScenarioWarehouse['kind']) {
  // A noisy tenant the edge refuses is no noise: every shape must be admitted (they are built within the caps).
  for (const [shape, answers] of Object.entries(r.a.answers)) {
    expect.soft(answers['202'] ?? 0, `A's "${shape}" pushes admitted by the edge (answers: ${JSON.stringify(answers)})`).toBeGreaterThan(0);
    expect
      .soft(
        Object.keys(answers).filter((status) => status.startsWith('5')),
        `A's "${shape}" pushes answered 5xx`,
      )
      .toEqual([]);
  }
  const dead = r.olderEdge.filter((o) => o.status === 'dead');
  expect
    .soft(
      dead.filter((o) => !o.errorCode || !o.reason),
      'dead-lettered without a code and a reason',
    )
    .toEqual([]);
  // On Trino 2,000 tables are 2,000 Iceberg commits (minutes here): there they may still be landing, visibly.
  const smallButSlow = r.olderEdge.filter((o) => !o.kind.includes('empty rows'));
  if (kind === 'duckdb')
    expect
      .soft(
        smallButSlow.filter((o) => o.status !== 'done' && o.status !== 'dead'),
        'the 2,000-table and 50,000-key messages settled',
      )
      .toEqual([]);
  // 24 × 349,524 rows is 8.4 M rows: ~12 minutes at the 10-20k rows/s this machine lands, past the suite's budget.
  // So: each older-edge message landed or dead-lettered, or else the processor is visibly getting through them.
  const settled = r.olderEdge.filter((o) => o.status === 'done' || o.status === 'dead');
  if (settled.length < r.olderEdge.length) {
    expect
      .soft(
        r.a.settledDuringSettle + r.a.columnsAddedDuringSettle,
        `the processor still making progress on A after the window (${r.a.settledDuringSettle} messages settled, ${r.a.columnsAddedDuringSettle} columns registered; older-edge messages settled ${settled.length} of ${r.olderEdge.length})`,
      )
      .toBeGreaterThan(0);
  }
  const stuck = r.olderEdge.filter((o) => o.status === 'pending' && o.attempts > 2);
  expect.soft(stuck, "A's older-edge messages claimed again and again without settling").toEqual([]);
}

describe('noisy neighbour [DuckDB]', () => noisyNeighbourSuite({ kind: 'duckdb', path: duckDbFile }));
if (trinoUrl === '')
  describe.skip(`noisy neighbour [Trino/Iceberg] [SKIPPED: ${inject('trinoSkipReason')}]`, () => noisyNeighbourSuite({ kind: 'trino', url: '' }));
else describe('noisy neighbour [Trino/Iceberg]', () => noisyNeighbourSuite({ kind: 'trino', url: trinoUrl }));
