// bench/edge: POST /v1/ingest/push through the local Worker into the real Postgres, side by side with a bare Hono Worker,
// and the same push as a Stripe delivery to a connection that verifies Stripe signatures (signed by Stripe's library).
import type pg from 'pg';
import Stripe from 'stripe';
import { addConnection } from '../../cli/connections.ts';
import { addTenant } from '../../cli/tenants.ts';
import { generateSecretsKey, parseSecretsKey, SecretsKeyring } from '../../shared/secret-box.ts';
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
const secretsKey = generateSecretsKey();
const stripeSecret = `whsec_bench${'0'.repeat(24)}`;
const { token: stripeToken } = await addConnection(
  pool,
  { tenant: 'bench', name: 'bench-stripe', rateLimitPerMinute: 1_000_000, verify: { preset: 'stripe' }, signingSecret: stripeSecret },
  new SecretsKeyring(await parseSecretsKey(secretsKey)),
);

const edge = await startLocalEdge({ databaseUrl: benchDatabaseUrl, port: 8791, vars: { BOITATA_SECRETS_KEY: secretsKey } });
const bare = await startWranglerDev({ port: 8792, config: 'bench/edge/wrangler.bare.toml', inheritOutput: false, vars: {} });

const row = (i: number) => JSON.stringify([{ id: i, email: `user${i}@example.com`, amount: 12.5, status: 'paid', at: '2026-06-12T10:00:00Z' }]);
const target = (base: string) => ({
  url: `${base}/v1/ingest/push/${token}?table=orders`,
  headers: { 'content-type': 'application/json', 'x-tenant-id': 'bench' },
  body: row,
  concurrency: CONCURRENCY,
});
// The same order as one Stripe event: no x-tenant-id, a fresh event id per request, routed to stripe_order_paid.
const webhooks = new Stripe('sk_test_bench').webhooks;
// Event ids are unique across rounds (the load's own counter restarts each round): a repeated id would be a replay.
const run = Date.now().toString(36);
let events = 0;
const event = (i: number) =>
  JSON.stringify({ id: `evt_${run}_${events++}`, object: 'event', type: 'order.paid', created: 1_764_417_600, data: { object: JSON.parse(row(i))[0] } });
const stripeTarget = (base: string) => ({
  url: `${base}/v1/ingest/push/${stripeToken}`,
  headers: { 'content-type': 'application/json' },
  body: event,
  sign: (payload: string) => ({ 'stripe-signature': webhooks.generateTestHeaderString({ payload, secret: stripeSecret }) }),
  concurrency: CONCURRENCY,
});

try {
  console.log(`bench/edge: ${CONCURRENCY} concurrent clients, ${ROUNDS} rounds of ${SECONDS} s per Worker, alternating`);
  await runLoad({ ...target(bare.url), seconds: 2 });
  const edgeWarmUp = await runLoad({ ...target(edge.url), seconds: 2 });
  const stripeWarmUp = await runLoad({ ...stripeTarget(edge.url), seconds: 2 });
  const bareRuns: LoadResult[] = [];
  const edgeRuns: LoadResult[] = [];
  const stripeRuns: LoadResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await runLoad({ ...target(bare.url), seconds: SECONDS }));
    edgeRuns.push(await runLoad({ ...target(edge.url), seconds: SECONDS }));
    stripeRuns.push(await runLoad({ ...stripeTarget(edge.url), seconds: SECONDS }));
  }
  const bareTotal = combine(bareRuns);
  const edgeTotal = combine(edgeRuns);
  const stripeTotal = combine(stripeRuns);

  const queued = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM boitata_inbound_queue')).rows[0]!.n);
  const accepted = [edgeTotal, edgeWarmUp, stripeTotal, stripeWarmUp].reduce((sum, r) => sum + (r.statuses[202] ?? 0), 0);
  console.log('');
  console.log('worker                         req/s    p50 ms   p99 ms   statuses');
  for (const [name, result] of [
    ['bare Hono (ceiling)', bareTotal],
    ['boitata edge → Postgres', edgeTotal],
    ['  as Stripe deliveries', stripeTotal],
  ] as const) {
    console.log(
      `${name.padEnd(28)} ${result.perSecond.toFixed(0).padStart(7)} ${result.p50Ms.toFixed(1).padStart(9)} ${result.p99Ms.toFixed(1).padStart(8)}   ${JSON.stringify(result.statuses)}`,
    );
  }
  console.log('');
  console.log(`ratio edge/ceiling: ${((edgeTotal.perSecond / bareTotal.perSecond) * 100).toFixed(1)}% (target >= 50%)`);
  console.log(
    `signed Stripe deliveries / plain push: ${((stripeTotal.perSecond / edgeTotal.perSecond) * 100).toFixed(1)}% (target >= 90%: verification costs at most 10%)`,
  );
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
  return summarize(
    runs.flatMap((r) => r.latencies),
    seconds,
    statuses,
  );
}
