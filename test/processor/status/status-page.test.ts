// The status page against the real Postgres and the real HTTP server, in headless Chromium (Debian's chromium
// driven by playwright-core): what it shows, that it never shows a secret or a PII value, and the replay action.
import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { describeBrowser, launchChromium } from './headless-chromium.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHttpServer } from '../../../processor/http-server.ts';
import { ProcessorMetrics } from '../../../processor/metrics.ts';
import type { StatusSnapshot } from '../../../processor/status/status-data.ts';
import { colourCounts, decodePng } from './png.ts';
import { PII_EMAIL, PII_NAME, PII_PHONE, seedTenant, type SeededTenant } from './seed.ts';

const databaseUrl = inject('databaseUrl');
const ADMIN_TOKEN = `admin-${crypto.randomUUID()}`;
const BAR_COLOUR = '#1f8a70';

const db = new pg.Pool({ connectionString: databaseUrl, max: 6 });
db.on('error', () => undefined);
const servers: Server[] = [];
let adminUrl = '';
let readOnlyUrl = '';
let seeded: SeededTenant;

async function serve(adminToken: string | undefined, metrics = new ProcessorMetrics(db)): Promise<string> {
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    pool: db,
    metrics,
    staleAfterMs: 60_000,
    adminToken,
    health: { sinceLastIteration: () => 0, lastError: () => null },
  });
  servers.push(server);
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

beforeAll(async () => {
  seeded = await seedTenant(db);
  const metrics = new ProcessorMetrics(db);
  metrics.batches.inc({ outcome: 'ok' }, 3);
  metrics.batches.inc({ outcome: 'failed' });
  metrics.failures.inc({ kind: 'warehouse_transient' });
  adminUrl = await serve(ADMIN_TOKEN, metrics);
  readOnlyUrl = await serve(undefined);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await db.end();
});

/** Every string that must never appear on the page or in its JSON. */
const secrets = () => [PII_EMAIL, PII_PHONE, '98765-4321', PII_NAME, 'Silva', seeded.token, ADMIN_TOKEN, databaseUrl];

const replay = (base: string, id: string, headers: Record<string, string> = {}) => fetch(`${base}/dead-letters/${id}/replay`, { method: 'POST', headers });

const queueRow = async (deadLetterId: string) =>
  (
    await db.query<{ status: string; attempts: number; replayed: boolean }>(
      `SELECT q.status, q.attempts, d.replayed_at IS NOT NULL AS replayed FROM boitata_dead_letters d JOIN boitata_inbound_queue q ON q.id = d.queue_id WHERE d.id = $1`,
      [deadLetterId],
    )
  ).rows[0];

describe('status routes over HTTP', () => {
  it('serves the snapshot as JSON with the seeded counts, tables, aliases and redacted reasons, and no secret', async () => {
    const response = await fetch(`${adminUrl}/status.json?tenant=${seeded.tenant}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    for (const secret of secrets()) expect(text).not.toContain(secret);
    const status = JSON.parse(text) as StatusSnapshot;
    const tenant = status.tenants.items.find((t) => t.id === seeded.tenant)!;
    expect(tenant.queue).toMatchObject({ pending: seeded.pending, processing: seeded.processing });
    expect(tenant.dead_letters_open).toBe(2);
    expect(tenant.table_count).toBe(2);
    expect(status.tables!.items.map((t) => t.name)).toEqual(['orders', 'page_views']);
    const orders = status.tables!.items[0]!;
    expect(orders.columns.filter((c) => c.pii).map((c) => c.logical)).toEqual(['email', 'phone']);
    // The processor wrote "last loaded" when the orders rows landed (seed.ts sets it nowhere); page_views has no rows.
    const [landingStarted, landingEnded] = seeded.loadedBetween;
    expect(Date.parse(orders.last_loaded_at!)).toBeGreaterThanOrEqual(landingStarted - 1_000);
    expect(Date.parse(orders.last_loaded_at!)).toBeLessThanOrEqual(landingEnded + 1_000);
    expect(status.tables!.items[1]!.last_loaded_at).toBeNull();
    expect(orders.aliases.map((a) => [a.field, a.column, a.why])).toEqual([
      ['amount', 'total', 'model test-model, confidence 0.91'],
      ['celular', 'phone', 'synonyms: phone'],
      ['e_mail', 'email', 'typo: edit distance 1'],
    ]);
    const reasons = status.dead_letters.latest.filter((d) => d.tenant_id === seeded.tenant).map((d) => d.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        "orders: Trino INVALID_CAST_ARGUMENT: Cannot cast '‹redacted›' to bigint",
        'failed 5 times; last error: value ‹redacted› of "‹redacted›" does not fit column phone',
      ]),
    );
    expect(status.queue.pending).toBeGreaterThanOrEqual(seeded.pending);
    expect(status.throughput.rows).toBeGreaterThanOrEqual(seeded.doneRows);
    expect(status.throughput.buckets).toHaveLength(30);
    expect(status.processor.batches).toEqual({ ok: 3, failed: 1 });
    expect(status.replay.enabled).toBe(true);
  });

  it('answers 403 to a replay when no admin token is configured, 401 without or with a wrong token', async () => {
    const id = seeded.deadLetterIds[0]!;
    const disabled = await replay(readOnlyUrl, id, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(disabled.status).toBe(403);
    expect(await disabled.json()).toMatchObject({ error: { code: 'replay_disabled', message: expect.stringContaining('PROCESSOR_ADMIN_TOKEN') } });
    // A cross-site form can send neither a header nor the token: 401.
    const missing = await replay(adminUrl, id, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await replay(adminUrl, id, { authorization: `Bearer ${ADMIN_TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await queueRow(id)).toMatchObject({ status: 'dead', replayed: false });
  });

  it('replays with the admin token, then answers 404 for the same id; rejects ids that are not numbers', async () => {
    const own = await seedTenant(db);
    const id = own.deadLetterIds[1]!;
    const ok = await replay(adminUrl, id, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect([ok.status, await ok.json()]).toEqual([200, { replayed: 1, id, status: 'pending' }]);
    expect(await queueRow(id)).toEqual({ status: 'pending', attempts: 1, replayed: true });
    expect((await replay(adminUrl, id, { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(404);
    expect((await replay(adminUrl, 'abc', { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(400);
  });

  it('keeps /health and /metrics, lists the routes on 404 and answers 405 to other methods', async () => {
    expect((await fetch(`${adminUrl}/health`)).status).toBe(200);
    expect(await (await fetch(`${adminUrl}/metrics`)).text()).toContain('boitata_queue_depth');
    const missing = await fetch(`${adminUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('POST /dead-letters/{id}/replay');
    const post = await fetch(`${adminUrl}/status`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET']);
    const get = await fetch(`${adminUrl}/dead-letters/1/replay`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });
});

describeBrowser('status page in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(url: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    // Our inline script ran (the CSP allows it by hash): it marks the admin state.
    if (url.startsWith(adminUrl)) await expect.poll(() => page.getByTestId('admin-state').textContent()).toContain('read-only until');
    expect(errors, errors.join('\n')).toEqual([]);
    return page;
  }

  it('shows the tenant’s tables, columns, PII flags, alias reasons and counts; never a secret; the screenshot is a real page', async () => {
    const page = await open(`${adminUrl}/status?tenant=${seeded.tenant}`);
    const row = page.getByTestId(`tenant-row-${seeded.tenant}`);
    expect(await row.getByTestId('tenant-pending').textContent()).toBe(String(seeded.pending));
    expect(await row.getByTestId('tenant-processing').textContent()).toBe(String(seeded.processing));
    expect(await row.getByTestId('tenant-dead-letters').textContent()).toBe('2');
    expect(await row.getByTestId('tenant-tables').textContent()).toBe('2');
    expect(Number((await page.getByTestId('queue-pending').textContent())!.replaceAll(',', ''))).toBeGreaterThanOrEqual(seeded.pending);
    expect(await page.getByTestId('batches').textContent()).toBe('3 / 1');

    const orders = page.getByTestId(`table-${seeded.tenant}-orders`);
    await expect.poll(() => orders.isVisible()).toBe(true);
    for (const column of ['id', 'email', 'phone', 'total', 'shipping.city']) expect(await orders.getByTestId(`column-${column}`).isVisible()).toBe(true);
    expect(await orders.locator('tr[data-pii="true"] code').first().textContent()).toBe('email');
    expect(await orders.getByTestId('pii-flag').allTextContents()).toEqual(['PII · name', 'PII · values']);
    expect(await orders.getByTestId('column-email').textContent()).toContain('Customer e-mail address');
    expect(await orders.getByTestId('alias-e_mail').getByTestId('alias-why').textContent()).toBe('typo: edit distance 1');
    expect(await orders.getByTestId('alias-celular').getByTestId('alias-why').textContent()).toBe('synonyms: phone');
    expect(await orders.getByTestId('alias-amount').getByTestId('alias-why').textContent()).toBe('model test-model, confidence 0.91');
    expect(await page.getByTestId(`table-${seeded.tenant}-page_views`).getByTestId('column-viewed_at').isVisible()).toBe(true);
    expect(await orders.locator('summary').textContent()).toMatch(/ · last loaded \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
    expect(await page.getByTestId(`table-${seeded.tenant}-page_views`).locator('summary').textContent()).toMatch(/ · last loaded never$/);

    const reasons = await page.getByTestId(`dead-letter-${seeded.deadLetterIds[0]}`).getByTestId('dead-letter-reason').textContent();
    expect(reasons).toBe("orders: Trino INVALID_CAST_ARGUMENT: Cannot cast '‹redacted›' to bigint");
    expect(await page.getByTestId(`replay-${seeded.deadLetterIds[0]}`).isVisible()).toBe(true);

    const content = await page.content();
    for (const secret of secrets()) expect(content).not.toContain(secret);

    // The screenshot: a PNG of the full page, not blank, the chart drawn with bars.
    const path = join(tmpdir(), 'boitata-status-page.png');
    const shot = await page.screenshot({ fullPage: true, path });
    console.log(`status page screenshot: ${path}`);
    const image = decodePng(shot);
    const scrollHeight = await page.evaluate<number>('document.documentElement.scrollHeight');
    expect([image.width, image.height]).toEqual([1280, Math.max(900, scrollHeight)]);
    expect(colourCounts(image).size).toBeGreaterThan(50);
    const box = (await page.getByTestId('throughput-chart').boundingBox())!;
    const chart = colourCounts(image, { x: Math.round(box.x), y: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) });
    expect(chart.size).toBeGreaterThan(5);
    expect(chart.get(BAR_COLOUR) ?? 0).toBeGreaterThan(200);
    // The tenant's columns table is drawn where the DOM says it is: text on its background, not an empty box.
    const table = (await orders.getByTestId('columns').boundingBox())!;
    expect(
      colourCounts(image, { x: Math.round(table.x), y: Math.round(table.y), width: Math.round(table.width), height: Math.round(table.height) }).size,
    ).toBeGreaterThan(10);
    // The chart on its own (a fractional position can add a pixel row).
    const chartPng = await page.getByTestId('throughput-chart').screenshot();
    await writeFile(join(tmpdir(), 'boitata-status-chart.png'), chartPng);
    const chartShot = decodePng(chartPng);
    expect(Math.abs(chartShot.width - box.width)).toBeLessThanOrEqual(1);
    expect(Math.abs(chartShot.height - box.height)).toBeLessThanOrEqual(1);
    expect(colourCounts(chartShot).get(BAR_COLOUR) ?? 0).toBeGreaterThan(200);
    await page.context().close();
  });

  it('replays a dead letter with the admin token entered on the page (a wrong one is refused and forgotten)', async () => {
    const own = await seedTenant(db);
    const [id, other] = own.deadLetterIds as [string, string];
    const page = await open(`${adminUrl}/status?tenant=${own.tenant}`);
    const button = page.getByTestId(`replay-${id}`);

    await button.click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain('Enter the admin token');

    await page.getByTestId('admin-token').fill('not-the-token');
    await page.getByTestId('admin-token-use').click();
    await button.click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toBe('The admin token is not valid.');
    expect(await page.evaluate(() => sessionStorage.getItem('boitata-admin-token'))).toBeNull();
    expect(await queueRow(id)).toMatchObject({ status: 'dead', replayed: false });

    await page.getByTestId('admin-token').fill(ADMIN_TOKEN);
    await page.getByTestId('admin-token-use').click();
    await expect.poll(() => page.getByTestId('admin-state').textContent()).toBe('token set for this tab');
    await button.click();
    await page.getByTestId(`dead-letter-${id}`).waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId(`tenant-row-${own.tenant}`).getByTestId('tenant-dead-letters').textContent()).toBe('1');
    expect(await page.getByTestId(`tenant-row-${own.tenant}`).getByTestId('tenant-pending').textContent()).toBe(String(own.pending + 1));
    expect(await queueRow(id)).toEqual({ status: 'pending', attempts: 1, replayed: true });
    expect(await queueRow(other)).toMatchObject({ status: 'dead', replayed: false });

    // The token lives in this tab's sessionStorage only: not in the URL, a cookie or the page.
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.context().cookies()).toEqual([]);
    expect(await page.content()).not.toContain(ADMIN_TOKEN);
    await page.context().close();
  });

  it('without an admin token the page is read-only: no replay buttons, and a replay POST answers 403', async () => {
    const page = await open(`${readOnlyUrl}/status?tenant=${seeded.tenant}`);
    expect(await page.getByTestId('read-only').isVisible()).toBe(true);
    expect(await page.getByTestId(`dead-letter-${seeded.deadLetterIds[1]}`).isVisible()).toBe(true);
    expect(await page.locator('button[data-replay]').count()).toBe(0);
    expect(await page.getByTestId('admin-form').count()).toBe(0);
    const answer = await page.evaluate(async (id) => {
      const response = await fetch(`/dead-letters/${id}/replay`, { method: 'POST', headers: { authorization: 'Bearer guess' } });
      return { status: response.status, body: await response.json() };
    }, seeded.deadLetterIds[1]!);
    expect(answer).toMatchObject({ status: 403, body: { error: { code: 'replay_disabled' } } });
    await page.context().close();
  });
});
