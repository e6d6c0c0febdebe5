// /health, /status and /metrics answer within 5 s while Postgres is half-open: a real processor HTTP server on a
// pool (as main.ts builds it: no timeouts of its own) that reaches Postgres through a proxy we freeze.
import type { Server } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHttpServer } from '../../../processor/http-server.ts';
import { ProcessorMetrics } from '../../../processor/metrics.ts';
import { startFreezableProxy, type FreezableProxy } from './freezable-proxy.ts';

const databaseUrl = new URL(inject('databaseUrl'));
const ANSWER_WITHIN_MS = 5_000;

let proxy: FreezableProxy;
let pool: pg.Pool;
let server: Server;
let base = '';

beforeAll(async () => {
  proxy = await startFreezableProxy({ host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) });
  const through = new URL(databaseUrl);
  through.hostname = '127.0.0.1';
  through.port = String(proxy.port);
  pool = new pg.Pool({ connectionString: through.toString(), max: 4 });
  pool.on('error', () => undefined);
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    pool,
    metrics: new ProcessorMetrics(pool),
    staleAfterMs: 60_000,
    health: { sinceLastIteration: () => 0, lastError: () => null },
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  proxy?.unfreeze();
  await new Promise((resolve) => server?.close(resolve));
  await pool?.end();
  await proxy?.close();
});

/** The answer and how long it took; a request still waiting after 20 s is a failure, not a hang of the suite. */
async function timed(path: string): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(20_000) });
  const body = await response.text();
  return { status: response.status, ms: performance.now() - started, body };
}

describe('operator endpoints on a half-open Postgres', () => {
  it('answers /health 503 with the reason within 5 s, even with the pool full of stuck queries; 200 again once Postgres answers', async () => {
    // Warm the pool: its clients are connected when the freeze comes, as in a running processor.
    await Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT 1')));
    expect((await timed('/health')).status).toBe(200);

    proxy.freeze();
    const health = await timed('/health');
    expect(health.status, health.body).toBe(503);
    expect(health.ms).toBeLessThanOrEqual(ANSWER_WITHIN_MS);
    expect(JSON.parse(health.body)).toMatchObject({
      status: 'unhealthy',
      database: expect.stringMatching(/^unreachable: Postgres did not answer within \d+ ms$/),
    });

    // The loop's own queries hang too and hold every client of the pool: /health must not wait for one.
    const stuck = Array.from({ length: 4 }, () => pool.query('SELECT 1').catch(() => undefined));
    const busy = await timed('/health');
    expect(busy.status).toBe(503);
    expect(busy.ms).toBeLessThanOrEqual(ANSWER_WITHIN_MS);

    const [status, json, metrics] = await Promise.all([timed('/status'), timed('/status.json'), timed('/metrics')]);
    for (const answer of [status, json, metrics]) {
      expect(answer.status, answer.body.slice(0, 200)).toBe(503);
      expect(answer.ms).toBeLessThanOrEqual(ANSWER_WITHIN_MS);
    }
    expect(JSON.parse(json.body)).toMatchObject({ error: { code: 'database_unavailable' } });

    proxy.unfreeze();
    await Promise.all(stuck);
    await expect.poll(async () => (await timed('/health')).status, { timeout: 10_000, interval: 250 }).toBe(200);
    expect((await timed('/status.json')).status).toBe(200);
    expect((await timed('/metrics')).status).toBe(200);
  });
});
