// The status page stays small whatever the catalog holds: a table at the column cap, 200 tables, 1,000 dead
// letters and 150 more tenants, against the real Postgres and HTTP server, and the column warning in Chromium.
import type { Server } from 'node:http';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { describeBrowser, launchChromium } from './headless-chromium.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHttpServer } from '../../../processor/http-server.ts';
import { ProcessorMetrics } from '../../../processor/metrics.ts';
import type { StatusSnapshot } from '../../../processor/status/status-data.ts';
import { STATUS_LIMITS, STATUS_PAGE_MAX_BYTES } from '../../../processor/status/status-view.ts';
import { PII_EMAIL, seedLargeCatalog, type LargeCatalog } from './seed.ts';

const databaseUrl = inject('databaseUrl');

const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
db.on('error', () => undefined);
let server: Server;
let base = '';
let catalog: LargeCatalog;

beforeAll(async () => {
  catalog = await seedLargeCatalog(db);
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    pool: db,
    metrics: new ProcessorMetrics(db),
    staleAfterMs: 60_000,
    adminToken: `admin-${crypto.randomUUID()}`,
    health: { sinceLastIteration: () => 0, lastError: () => null },
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db.end();
});

async function get(path: string): Promise<{ status: number; bytes: number; text: string }> {
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(30_000) });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, bytes: body.length, text: body.toString('utf8') };
}

const views = () => {
  const tenant = encodeURIComponent(catalog.tenant);
  return [
    '/status',
    '/status?page=2',
    `/status?tenant=${tenant}`,
    `/status?tenant=${tenant}&page=10`,
    `/status?tenant=${tenant}&table=orders`,
    `/status?tenant=${tenant}&table=orders&page=10`,
  ];
};

describe('status page size, over HTTP', () => {
  it(`keeps every view, HTML and JSON, under ${STATUS_PAGE_MAX_BYTES / 1024} KB`, async () => {
    const sizes: Record<string, number> = {};
    for (const view of views()) {
      for (const path of [view, view.replace('/status', '/status.json')]) {
        const answer = await get(path);
        expect(answer.status, path).toBe(200);
        expect(answer.text, path).not.toContain(PII_EMAIL);
        sizes[path] = answer.bytes;
      }
    }
    console.log(`status page sizes (bytes): ${JSON.stringify(sizes)}`);
    for (const [path, bytes] of Object.entries(sizes)) expect(bytes, path).toBeLessThan(STATUS_PAGE_MAX_BYTES);
  });

  it('collapses tenants to a summary line and tables to their counts and first columns', async () => {
    const overview = JSON.parse((await get('/status.json')).text) as StatusSnapshot;
    expect(overview.tables).toBeNull();
    expect(overview.tenants.items.length).toBeLessThanOrEqual(STATUS_LIMITS.tenantsPerPage);
    expect(overview.tenants.total).toBeGreaterThanOrEqual(151);
    expect(overview.dead_letters.latest).toHaveLength(STATUS_LIMITS.deadLetters);
    expect(overview.dead_letters.latest.every((d) => d.reason.length <= STATUS_LIMITS.reasonLength)).toBe(true);

    const tenant = JSON.parse((await get(`/status.json?tenant=${catalog.tenant}`)).text) as StatusSnapshot;
    expect(tenant.tenants.items.map((t) => [t.id, t.table_count])).toEqual([[catalog.tenant, catalog.tables]]);
    expect(tenant.tables).toMatchObject({ total: catalog.tables, page: 1, pages: Math.ceil(catalog.tables / STATUS_LIMITS.tablesPerPage) });
    const orders = tenant.tables!.items.find((t) => t.name === 'orders')!;
    expect(orders).toMatchObject({ column_count: 1_000, alias_count: 300, near_column_cap: true });
    expect(orders.columns).toHaveLength(STATUS_LIMITS.columnPreview);
    expect(orders.columns[0]!.tags.length).toBeLessThanOrEqual(STATUS_LIMITS.tagsPerColumn);
    expect(orders.columns[0]!.description!.length).toBeLessThanOrEqual(STATUS_LIMITS.descriptionLength + 1);
    expect(orders.aliases).toHaveLength(STATUS_LIMITS.aliasPreview);
  });

  it('pages through one table’s columns to the last one, and through the dead letters to the oldest', async () => {
    const path = (page: number) => `/status.json?tenant=${catalog.tenant}&table=orders&page=${page}`;
    const first = JSON.parse((await get(path(1))).text) as StatusSnapshot;
    expect(first.tables).toMatchObject({ page: 1, pages: 1_000 / STATUS_LIMITS.columnsPerPage });
    const seen: string[] = [];
    for (let page = 1; page <= first.tables!.pages; page += 1) {
      const table = (JSON.parse((await get(path(page))).text) as StatusSnapshot).tables!.items[0]!;
      expect(table.columns.length).toBeLessThanOrEqual(STATUS_LIMITS.columnsPerPage);
      seen.push(...table.columns.map((c) => c.logical));
    }
    expect(seen).toHaveLength(1_000);
    expect(new Set(seen).size).toBe(1_000);
    expect(seen.at(-1)).toBe(catalog.lastColumn);

    let before: string | null = null;
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 1) {
      const page: StatusSnapshot = JSON.parse(
        (await get(`/status.json?tenant=${catalog.tenant}${before === null ? '' : `&dead_letters_before=${before}`}`)).text,
      );
      ids.push(...page.dead_letters.latest.map((d) => d.id));
      before = page.dead_letters.older;
      if (before === null) break;
    }
    expect(ids).toHaveLength(catalog.deadLetters);
    expect(new Set(ids).size).toBe(catalog.deadLetters);
  });

  it('answers 400 to a bad query and 404 to an unknown tenant or table, with a code', async () => {
    const bad = await get('/status.json?page=0');
    expect([bad.status, JSON.parse(bad.text)]).toEqual([400, { error: { code: 'invalid_query', message: expect.stringContaining('page') } }]);
    expect((await get('/status?table=orders')).status).toBe(400);
    const unknown = await get('/status.json?tenant=no-such-tenant');
    expect([unknown.status, JSON.parse(unknown.text).error.code]).toEqual([404, 'not_found']);
    expect((await get(`/status?tenant=${catalog.tenant}&table=no_such_table`)).status).toBe(404);
  });
});

describeBrowser('status page bounds in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('warns about the tables near the column cap and pages to the last column', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    expect((await page.goto(`${base}/status`))?.status()).toBe(200);
    const full = page.getByTestId(`column-warning-${catalog.tenant}-orders`);
    expect(await full.isVisible()).toBe(true);
    expect(await full.textContent()).toContain('orders has reached the limit of 1,000 columns: new fields go to _boitata_rescue');
    const near = page.getByTestId(`column-warning-${catalog.tenant}-wide_events`);
    expect(await near.textContent()).toContain('wide_events has 950 of 1,000 columns; fields past the limit go to _boitata_rescue');
    expect(await page.getByTestId(`column-warning-${catalog.tenant}-table_000`).count()).toBe(0);

    // From the warning to the table, then to its last page of columns.
    await full.getByRole('link').click();
    await page.waitForURL(/table=orders/);
    const table = page.getByTestId(`table-${catalog.tenant}-orders`);
    expect(await table.getByTestId('column-warning').isVisible()).toBe(true);
    expect(await table.locator('tbody tr[data-testid^="column-"]').count()).toBe(STATUS_LIMITS.columnsPerPage);
    await page.getByTestId('pager-columns').getByTestId('pager-next').click();
    await page.waitForURL(/page=2/);
    expect(await page.getByTestId('pager-columns').getByTestId('pager-page').textContent()).toBe('2');
    await page.getByTestId('pager-columns').getByTestId('pager-last').click();
    await page.waitForURL(/page=10/);
    expect(await page.getByTestId(`column-${catalog.lastColumn}`).isVisible()).toBe(true);
    expect(await page.getByTestId('pager-columns').getByTestId('pager-next').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
