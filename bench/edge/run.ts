// bench/edge: POST /v1/ingest/push through the local Worker into the real Postgres, side by side with a bare Hono Worker.
import pg from 'pg';
import { addConnection, addTenant } from '../../cli/provision.ts';
import { startLocalEdge, startWranglerDev } from '../../dev/run-local-edge.ts';
import { recreateTestDatabase } from '../../test/support/test-database.ts';
import { runLoad, summarize, type LoadResult } from './load.ts';

const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 20);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const benchDatabaseUrl = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/boitata_bench';

const pool: pg.Pool = await recreateTestDatabase(benchDatabaseUrl);
await addTenant(pool, { id: 'bench' });
const { token } = await addConnection(pool, { tenant: 'bench', name: 'bench', rateLimitPerMinute: 1_000_000 });

const edge = await startLocalEdge({ databaseUrl: benchDatabaseUrl, port: 8791 });
const bare = await startWranglerDev({ port: 8792, config: 'bench/edge/wrangler.bare.toml', inheritOutput: false, vars: {} });

const row = (i: number) => JSON.stringify([{ id: i, email: `user${i}@example.com`, amount: 12.5, status: 'paid', at: '2026-06-12T10:00:00Z' }]);
const target = (base: string) => ({
  url: `${base}/v1/ingest/push/${token}?table=orders`,
  headers: { 'content-type': 'application/json', 'x-tenant-id': 'bench' },
  body: row,
  concurrency: CONCURRENCY,
});

try {
  console.log(`bench/edge: ${CONCURRENCY} concurrent clients, ${ROUNDS} rounds of ${SECONDS} s per Worker, alternating`);
  await runLoad({ ...target(bare.url), seconds: 2 });
  const edgeWarmUp = await runLoad({ ...target(edge.url), seconds: 2 });
  const bareRuns: LoadResult[] = [];
  const edgeRuns: LoadResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await runLoad({ ...target(bare.url), seconds: SECONDS }));
    edgeRuns.push(await runLoad({ ...target(edge.url), seconds: SECONDS }));
  }
  const bareTotal = combine(bareRuns);
  const edgeTotal = combine(edgeRuns);

  const queued = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM boitata_inbound_queue')).rows[0]!.n);
  const accepted = (edgeTotal.statuses[202] ?? 0) + (edgeWarmUp.statuses[202] ?? 0);
  console.log('');
  console.log('worker                         req/s    p50 ms   p99 ms   statuses');
  for (const [name, result] of [['bare Hono (ceiling)', bareTotal], ['boitata edge → Postgres', edgeTotal]] as const) {
    console.log(`${name.padEnd(28)} ${result.perSecond.toFixed(0).padStart(7)} ${result.p50Ms.toFixed(1).padStart(9)} ${result.p99Ms.toFixed(1).padStart(8)}   ${JSON.stringify(result.statuses)}`);
  }
  console.log('');
  console.log(`ratio edge/ceiling: ${((edgeTotal.perSecond / bareTotal.perSecond) * 100).toFixed(1)}% (target >= 50%)`);
  console.log(`queue rows: ${queued}; 202 answers (warm-up included): ${accepted}${queued === accepted ? ' (every 202 is a stored row)' : ' MISMATCH'}`);
} finally {
  await edge.stop();
  await bare.stop();
  await pool.end();
}

function combine(runs: LoadResult[]): LoadResult {
  const statuses: Record<number, number> = {};
  for (const run of runs) for (const [status, count] of Object.entries(run.statuses)) statuses[Number(status)] = (statuses[Number(status)] ?? 0) + count;
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return summarize(runs.flatMap((r) => r.latencies), seconds, statuses);
}
