// Per-tenant observability against the real Postgres, the real HTTP server and headless Chromium: the boitata_tenant_*
// series on /metrics with their `_other` bound, and the status page's tenant health table. Four tenants, each worst
// at one thing, in a database of this file's own (the label set is chosen over every tenant of the database, and the
// other status tests seed tenants of their own at the same time).
import type { Server } from 'node:http';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { describeBrowser, launchChromium } from './headless-chromium.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addConnection } from '../../../cli/connections.ts';
import { addTenant } from '../../../cli/tenants.ts';
import { startHttpServer } from '../../../processor/http-server.ts';
import { ProcessorMetrics } from '../../../processor/metrics.ts';
import type { StatusSnapshot } from '../../../processor/status/status-data.ts';
import { recreateTestDatabase } from '../../support/test-database.ts';
import { landWithProcessor } from './land-with-processor.ts';

const PAYLOAD_VALUE = 'joana.health@example.com';
const url = new URL(inject('databaseUrl'));
url.pathname = `${url.pathname}_tenant_health`;
const databaseUrl = url.toString();

// late: waits longest; deep: the deepest queue; dead: dead letters; fast: landed through the real processor.
const T = { late: 'th-late', deep: 'th-deep', dead: 'th-dead', fast: 'th-fast' } as const;
/** fast's landed messages, received this many seconds before they landed: p50 2.5 s, p99 3.97 s (percentile_cont) */
const FRESHNESS = [1, 2, 3, 4];

let db: pg.Pool;
const servers: Server[] = [];
let bounded = '';
let roomy = '';

async function serve(tenantLimit: number): Promise<string> {
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    pool: db,
    metrics: new ProcessorMetrics(db, { tenantLimit }),
    staleAfterMs: 60_000,
    health: { sinceLastIteration: () => 0, lastError: () => null },
  });
  servers.push(server);
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

async function enqueue(tenant: string, connectionId: string, n: number, columns: { status?: string; ageSeconds?: number; rows?: number } = {}): Promise<void> {
  const payload = JSON.stringify([{ id: 1, email: PAYLOAD_VALUE }]);
  await db.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt,
                                       idempotency_scope, received_at, status, lease_owner, lease_expires_at)
     SELECT gen_random_uuid(), $1, $2, 'push', 'array', 'orders', $3, $4, '{}', $2, clock_timestamp() - make_interval(secs => $5), $6,
            CASE WHEN $6 = 'processing' THEN 'tenant-health-test' END, CASE WHEN $6 = 'processing' THEN clock_timestamp() + interval '1 hour' END
       FROM generate_series(1, $7)`,
    [tenant, connectionId, payload, columns.rows ?? 1, columns.ageSeconds ?? 0, columns.status ?? 'pending', n],
  );
}

beforeAll(async () => {
  db = await recreateTestDatabase(databaseUrl);
  const connections: Record<string, string> = {};
  for (const id of Object.values(T)) {
    await addTenant(db, { id });
    connections[id] = (await addConnection(db, { tenant: id, name: 'shop', table: 'orders' })).connection.id;
  }
  // fast: six messages landed by the real processor; four of them received 1-4 s before they landed, one re-driven
  // (received a day before it landed again) and one landed before the window: only the four count.
  await enqueue(T.fast, connections[T.fast]!, 6);
  await landWithProcessor(db, T.fast);
  const { rows: landed } = await db.query<{ id: string }>(`SELECT id FROM boitata_inbound_queue WHERE tenant_id = $1 AND status = 'done' ORDER BY id`, [
    T.fast,
  ]);
  expect(landed).toHaveLength(6);
  for (const [i, seconds] of FRESHNESS.entries()) {
    await db.query(`UPDATE boitata_inbound_queue SET received_at = processed_at - make_interval(secs => $2) WHERE id = $1`, [landed[i]!.id, seconds]);
  }
  await db.query(`UPDATE boitata_inbound_queue SET received_at = processed_at - interval '1 day', redrives = 1 WHERE id = $1`, [landed[4]!.id]);
  await db.query(`UPDATE boitata_inbound_queue SET processed_at = now() - interval '10 minutes', received_at = now() - interval '11 minutes' WHERE id = $1`, [
    landed[5]!.id,
  ]);
  await enqueue(T.late, connections[T.late]!, 3, { ageSeconds: 600, rows: 2 });
  await enqueue(T.deep, connections[T.deep]!, 30, { rows: 5 });
  await enqueue(T.deep, connections[T.deep]!, 2, { status: 'processing', rows: 7 });
  // dead: five dead letters, two of them dead before the window; one replayed (not open) is not counted.
  await db.query(
    `WITH dead AS (
       INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope, status, attempts)
       SELECT gen_random_uuid(), $1, $2, 'push', 'array', 'orders', '[{"id":1}]', 1, '{}', $2, 'dead', 5 FROM generate_series(1, 6)
       RETURNING id, message_id)
     INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts, dead_at, replayed_at)
     SELECT id, message_id, $1, 'warehouse_rejected', 'no', 5, CASE WHEN row_number() OVER (ORDER BY id) <= 2 THEN now() - interval '10 minutes' ELSE now() END,
            CASE WHEN row_number() OVER (ORDER BY id) = 6 THEN now() END
       FROM dead`,
    [T.dead, connections[T.dead]!],
  );
  bounded = await serve(2);
  roomy = await serve(10);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await db?.end();
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(decodeURIComponent(url.pathname.slice(1)))} WITH (FORCE)`);
  await client.end();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's samples (our label values have no escapes to undo: tenant ids are [a-z0-9_-]). */
async function scrape(base: string): Promise<Sample[]> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  const samples: Sample[] = [];
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** name → "tenant[,other label]" → value */
function byTenant(samples: Sample[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples.filter((s) => s.name === name)) {
    const { tenant, ...rest } = s.labels;
    out[[tenant, ...Object.values(rest)].join(',')] = s.value;
  }
  return out;
}

describe('per-tenant metrics', () => {
  it('labels every active tenant under the limit, with exact depth, rows, dead letters and freshness', async () => {
    const samples = await scrape(roomy);
    expect(byTenant(samples, 'boitata_tenant_queue_depth')).toEqual({
      [`${T.late},pending`]: 3,
      [`${T.late},processing`]: 0,
      [`${T.deep},pending`]: 30,
      [`${T.deep},processing`]: 2,
      [`${T.dead},pending`]: 0,
      [`${T.dead},processing`]: 0,
      [`${T.fast},pending`]: 0,
      [`${T.fast},processing`]: 0,
      '_other,pending': 0,
      '_other,processing': 0,
    });
    expect(byTenant(samples, 'boitata_tenant_queue_rows')).toMatchObject({
      [`${T.late},pending`]: 6,
      [`${T.deep},pending`]: 150,
      [`${T.deep},processing`]: 14,
    });
    const oldest = byTenant(samples, 'boitata_tenant_oldest_waiting_seconds');
    expect(oldest[T.late]).toBeGreaterThanOrEqual(600);
    expect(oldest[T.late]).toBeLessThan(900);
    expect(oldest[T.deep]).toBeLessThan(oldest[T.late]!);
    expect([oldest[T.dead], oldest[T.fast], oldest['_other']]).toEqual([0, 0, 0]);
    // The re-driven message and the one landed before the window are left out.
    expect(byTenant(samples, 'boitata_tenant_landed_messages')).toMatchObject({ [T.fast]: 4, [T.late]: 0, _other: 0 });
    const freshness = byTenant(samples, 'boitata_tenant_freshness_seconds');
    expect(Object.keys(freshness).sort()).toEqual([`${T.fast},0.5`, `${T.fast},0.99`]);
    expect(freshness[`${T.fast},0.5`]).toBeCloseTo(2.5, 3);
    expect(freshness[`${T.fast},0.99`]).toBeCloseTo(3.97, 3);
    expect(byTenant(samples, 'boitata_tenant_dead_letters_open')).toMatchObject({ [T.dead]: 5, [T.late]: 0, _other: 0 });
    expect(byTenant(samples, 'boitata_tenant_dead_letters_recent')).toMatchObject({ [T.dead]: 3 });
    expect(byTenant(samples, 'boitata_tenant_other_tenants')).toEqual({ '': 0 });
    expect(byTenant(samples, 'boitata_tenant_metrics_up')).toEqual({ '': 1 });
  });

  it('bounds the labels at the limit: the worst tenants on their own, the rest summed under _other', async () => {
    const samples = await scrape(bounded);
    const tenants = new Set(samples.filter((s) => s.name.startsWith('boitata_tenant_') && s.labels['tenant'] !== undefined).map((s) => s.labels['tenant']));
    // The oldest waiting (late) and the deepest queue (deep) are taken first; dead and fast are summed.
    expect([...tenants].sort()).toEqual(['_other', T.deep, T.late]);
    expect(byTenant(samples, 'boitata_tenant_other_tenants')).toEqual({ '': 2 });
    expect(byTenant(samples, 'boitata_tenant_queue_depth')).toMatchObject({ [`${T.late},pending`]: 3, [`${T.deep},pending`]: 30, '_other,pending': 0 });
    expect(byTenant(samples, 'boitata_tenant_dead_letters_open')).toEqual({ [T.late]: 0, [T.deep]: 0, _other: 5 });
    expect(byTenant(samples, 'boitata_tenant_dead_letters_recent')).toEqual({ [T.late]: 0, [T.deep]: 0, _other: 3 });
    expect(byTenant(samples, 'boitata_tenant_landed_messages')).toEqual({ [T.late]: 0, [T.deep]: 0, _other: 4 });
    // _other's quantiles are read over its tenants' messages together, not added up.
    const freshness = byTenant(samples, 'boitata_tenant_freshness_seconds');
    expect(Object.keys(freshness).sort()).toEqual(['_other,0.5', '_other,0.99']);
    expect(freshness['_other,0.5']).toBeCloseTo(2.5, 3);
    // The whole-queue gauges are of this scrape, not the previous one (each awaits the shared read).
    expect(byTenant(samples, 'boitata_dead_letters_open')).toEqual({ '': 5 });
    expect(samples.find((s) => s.name === 'boitata_queue_oldest_message_age_seconds')!.value).toBeGreaterThanOrEqual(600);
  });

  it('puts the same figures in /status.json: bounded on the overview, one tenant on its view', async () => {
    const overview = (await (await fetch(`${bounded}/status.json`)).json()) as StatusSnapshot;
    expect(overview.tenant_health).toMatchObject({ limit: 2, active_tenants: 4, window_seconds: 300 });
    expect(overview.tenant_health.tenants.map((t) => t.tenant)).toEqual([T.late, T.deep]);
    expect(overview.tenant_health.other).toMatchObject({ tenant: '_other', tenants: 2, dead_letters_open: 5, landed_messages: 4 });
    const fast = (await (await fetch(`${bounded}/status.json?tenant=${T.fast}`)).json()) as StatusSnapshot;
    expect(fast.tenant_health.tenants).toHaveLength(1);
    expect(fast.tenant_health.tenants[0]).toMatchObject({ tenant: T.fast, landed_messages: 4 });
    expect(fast.tenant_health.tenants[0]!.freshness_p99_seconds).toBeCloseTo(3.97, 3);
    expect(fast.tenant_health.other.tenants).toBe(0);
  });
});

describeBrowser('the tenant health table in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  const cells = ['health-pending', 'health-processing', 'health-rows', 'health-landed', 'health-p50', 'health-p99', 'health-dead'];

  it('shows the worst tenants and _other on the overview, and one tenant on its page; no payload value', async () => {
    const page = await browser.newPage();
    expect((await page.goto(`${bounded}/status`))?.status()).toBe(200);
    const table = page.getByTestId('tenant-health');
    expect(await table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-testid')))).toEqual([
      `tenant-health-${T.late}`,
      `tenant-health-${T.deep}`,
      'tenant-health-_other',
    ]);
    const row = async (tenant: string) => Promise.all(cells.map((id) => table.getByTestId(`tenant-health-${tenant}`).getByTestId(id).textContent()));
    expect(await row(T.late)).toEqual(['3', '0', '6', '0', '—', '—', '0 (0)']);
    expect(await row(T.deep)).toEqual(['30', '2', '164', '0', '—', '—', '0 (0)']);
    expect(await row('_other')).toEqual(['0', '0', '0', '4', '2.5 s', '4.0 s', '5 (3)']);
    expect(await table.getByTestId(`tenant-health-${T.late}`).getByTestId('health-oldest').textContent()).toMatch(/^1\d min \d+ s$/);
    expect(await page.getByTestId('tenant-health-bound').textContent()).toContain(
      'at most 2 of 4 active tenants (PROCESSOR_METRICS_TENANT_LIMIT), 2 more summed as _other',
    );
    expect(await page.content()).not.toContain(PAYLOAD_VALUE);

    expect((await page.goto(`${bounded}/status?tenant=${T.fast}`))?.status()).toBe(200);
    expect(await page.getByTestId('tenant-health').locator('tbody tr').count()).toBe(1);
    expect(await row(T.fast)).toEqual(['0', '0', '0', '4', '2.5 s', '4.0 s', '0 (0)']);
    await page.close();
  });
});
