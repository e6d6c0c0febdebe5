// The status page's message search against the real Postgres and HTTP server, in headless Chromium: the form, the
// results, a message's detail view, and the promise that no payload value shows without the admin token (with
// it, the payload shows with personal data replaced by the processor's hashes). Also its bounds and deadline.
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { describeBrowser, launchChromium } from './headless-chromium.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addConnection } from '../../../cli/connections.ts';
import { addTenant } from '../../../cli/tenants.ts';
import { startHttpServer } from '../../../processor/http-server.ts';
import { ProcessorMetrics } from '../../../processor/metrics.ts';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';
import { startFreezableProxy } from './freezable-proxy.ts';
import { PII_EMAIL, PII_NAME, PII_PHONE, seedTenant, type SeededTenant } from './seed.ts';

const databaseUrl = inject('databaseUrl');
const ADMIN_TOKEN = `admin-${crypto.randomUUID()}`;
// land-with-processor.ts gives the processor this key: the page's hashes must be the ones it wrote.
const hasher = new PiiHasher('hmac', Buffer.from('status-test-pii-hash-key-0123', 'utf8'));

const db = new pg.Pool({ connectionString: databaseUrl, max: 6 });
db.on('error', () => undefined);
const servers: Server[] = [];
let adminUrl = '';
let readOnlyUrl = '';
let seeded: SeededTenant;
let messages: Array<{ message_id: string; status: string }>;

async function serve(pool: pg.Pool, adminToken: string | undefined): Promise<string> {
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    pool,
    metrics: new ProcessorMetrics(pool),
    staleAfterMs: 60_000,
    adminToken,
    piiHasher: hasher,
    health: { sinceLastIteration: () => 0, lastError: () => null },
  });
  servers.push(server);
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

beforeAll(async () => {
  seeded = await seedTenant(db);
  messages = (
    await db.query<{ message_id: string; status: string }>(
      'SELECT message_id::text, status FROM boitata_inbound_queue WHERE tenant_id = $1 ORDER BY received_at DESC, id DESC',
      [seeded.tenant],
    )
  ).rows;
  adminUrl = await serve(db, ADMIN_TOKEN);
  readOnlyUrl = await serve(db, undefined);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await db.end();
});

/** Values of the seeded payloads, reasons and credentials that must never show without the token. */
const secrets = () => [PII_EMAIL, PII_PHONE, '98765-4321', PII_NAME, 'Silva', seeded.token, ADMIN_TOKEN, databaseUrl];
const landed = () => messages.filter((m) => m.status === 'done').map((m) => m.message_id);
const dead = () => messages.filter((m) => m.status === 'dead').map((m) => m.message_id);
const get = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

describe('message search over HTTP', () => {
  it('lists a tenant’s messages newest first, bounded and paged, without a payload value', async () => {
    const all = await get(`${adminUrl}/messages?tenant=${seeded.tenant}`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(all.headers.get('cache-control')).toBe('no-store');
    const listed = [...all.text.matchAll(/data-testid="message-row-([0-9a-f-]{36})"/g)].map((match) => match[1]);
    expect(listed).toEqual(messages.map((m) => m.message_id));
    for (const secret of secrets()) expect(all.text).not.toContain(secret);

    // Five a page: "older →" walks back through all 20, exactly once each.
    const seen: string[] = [];
    let next: string | null = `/messages?tenant=${seeded.tenant}&limit=5`;
    while (next !== null) {
      const page = await get(`${adminUrl}${next.replaceAll('&amp;', '&')}`);
      seen.push(...[...page.text.matchAll(/data-testid="message-row-([0-9a-f-]{36})"/g)].map((match) => match[1]!));
      next = /href="([^"]+)" data-testid="search-older"/.exec(page.text)?.[1] ?? null;
    }
    expect(seen).toEqual(messages.map((m) => m.message_id));
  });

  it('answers a bad filter 400, an unknown tenant 404, both on the form with the reason', async () => {
    const cases: Array<[string, number, string]> = [
      [`tenant=${seeded.tenant}&status=lost`, 400, 'status &quot;lost&quot;: use queued, processing, landed, dead'],
      [`tenant=${seeded.tenant}&limit=101`, 400, 'use a whole number from 1 to 100'],
      [`tenant=${seeded.tenant}&since=yesterday`, 400, 'use a duration back from now'],
      [`tenant=${seeded.tenant}&page=2`, 400, 'unknown query parameter &quot;page&quot;'],
      [`tenant=${seeded.tenant}&before=42`, 400, 'before &quot;42&quot;: use a message id'],
      [`tenant=nobody-${seeded.tenant}`, 404, 'no tenant'],
      // Input Postgres would refuse (year 0000, a NUL in text): refused here, never a 503.
      ['tenant=x&since=0000-01-01T00:00:00Z', 400, 'since &quot;0000-01-01T00:00:00Z&quot;: the year must be from 0001 to 9999'],
      ['tenant=a%00b', 400, 'tenant holds a control character (U+0000 at character 2): remove it'],
      [`tenant=${seeded.tenant}&idempotency_key=a%00b`, 400, 'idempotency key holds a control character (U+0000 at character 2)'],
    ];
    for (const [query, status, message] of cases) {
      const answer = await get(`${adminUrl}/messages?${query}`);
      expect(answer.status, query).toBe(status);
      expect(answer.text).toContain(message);
      expect(answer.text).toContain('data-testid="search-form"');
    }
    expect((await get(`${adminUrl}/messages/not-a-uuid`)).status).toBe(400);
    const unknown = await get(`${adminUrl}/messages/${crypto.randomUUID()}`);
    expect([unknown.status, unknown.text.includes('QUEUE_RETENTION_HOURS')]).toEqual([404, true]);
  });

  it('serves a payload only with the admin token, personal data hashed as the processor hashed it', async () => {
    const id = landed()[0]!;
    const path = `/messages/${id}/payload`;
    expect((await get(`${readOnlyUrl}${path}`, { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(403);
    const missing = await get(`${adminUrl}${path}`);
    expect([missing.status, missing.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="boitata-processor"']);
    expect((await get(`${adminUrl}${path}`, { authorization: `Bearer ${ADMIN_TOKEN}x` })).status).toBe(401);
    for (const answer of [missing]) for (const secret of secrets()) expect(answer.text).not.toContain(secret);

    const ok = await get(`${adminUrl}${path}`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const body = JSON.parse(ok.text) as { payload_text: string; pii_hashed_fields: string[]; truncated: boolean };
    expect(body.pii_hashed_fields).toEqual(['orders.email', 'orders.phone']);
    const rows = JSON.parse(body.payload_text) as Array<Record<string, unknown>>;
    expect(rows[0]).toEqual({ id: 0, email: hasher.hash(seeded.tenant, PII_EMAIL), phone: hasher.hash(seeded.tenant, PII_PHONE), total: 10.5 });
    for (const secret of secrets()) expect(ok.text).not.toContain(secret);
    expect((await get(`${adminUrl}/messages/nope/payload`, { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(400);
  });

  it('never serves a body the edge stored as base64, even with the token: its size and SHA-256 only', async () => {
    // A tenant of its own: the seeded one's list is counted by the other tests.
    const tenant = `${seeded.tenant}-opaque`;
    await addTenant(db, { id: tenant });
    const { connection } = await addConnection(db, { tenant, name: 'stripe' });
    const body = Buffer.from(`{"email": "${PII_EMAIL}"}\u0000`, 'utf8');
    const encoded = body.toString('base64');
    const id = crypto.randomUUID();
    await db.query(
      `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope, status)
       VALUES ($1, $2, $3::uuid, 'webhook', 'object', 'stripe_events', $4, 1, $5, $3::uuid, 'dead')`,
      [
        id,
        tenant,
        connection.id,
        JSON.stringify({ unreadable_body_base64: encoded }),
        JSON.stringify({ message_id: id, status: 'dead_lettered', tables: [], rows: 0 }),
      ],
    );
    const answer = await get(`${adminUrl}/messages/${id}/payload`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(answer.status).toBe(200);
    const shown = JSON.parse(JSON.parse(answer.text).payload_text as string) as unknown;
    expect(shown).toEqual({
      opaque_body: {
        bytes: body.byteLength,
        sha256: createHash('sha256').update(body).digest('hex'),
        note: expect.stringContaining('not JSON Postgres could store'),
      },
    });
    for (const secret of [encoded, encoded.slice(0, 16), PII_EMAIL]) expect(answer.text).not.toContain(secret);
  });
});

describe('message search within the status page’s database deadline', () => {
  it('answers 503 with the reason within 5 s while Postgres is half-open', async () => {
    const target = new URL(databaseUrl);
    const proxy = await startFreezableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    const pool = new pg.Pool({ connectionString: target.toString(), max: 2 });
    pool.on('error', () => undefined);
    try {
      const base = await serve(pool, ADMIN_TOKEN);
      expect((await get(`${base}/messages?tenant=${seeded.tenant}`)).status).toBe(200);
      proxy.freeze();
      for (const path of [`/messages?tenant=${seeded.tenant}`, `/messages/${landed()[0]}`]) {
        const started = performance.now();
        const answer = await get(`${base}${path}`);
        expect(answer.status, path).toBe(503);
        expect(performance.now() - started).toBeLessThanOrEqual(5_000);
        expect(answer.text).toContain('Postgres did not answer within 4000 ms');
      }
    } finally {
      proxy.unfreeze();
      await pool.end();
      await proxy.close();
    }
  });
});

describeBrowser('message search in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A page whose console stays free of errors (a CSP refusal of our script or style would show there). */
  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    expect((await page.goto(url))?.status()).toBe(200);
    return { page, errors };
  }

  const noSecrets = async (page: Page) => {
    const content = await page.content();
    for (const secret of secrets()) expect(content).not.toContain(secret);
  };

  it('from the status page: fill the form, see the results, open a message; its payload only with the admin token, PII hashed', async () => {
    const { page, errors } = await open(`${adminUrl}/status`);
    await page.getByTestId('message-search-link').click();
    await page.getByTestId('search-form').waitFor();
    await expect.poll(() => page.getByTestId('admin-state').textContent()).toContain('read-only until');

    await page.getByTestId('search-tenant').fill(seeded.tenant);
    await page.getByTestId('search-status').selectOption('landed');
    await page.getByTestId('search-table').fill('orders');
    await page.getByTestId('search-since').fill('1d');
    await page.getByTestId('search-submit').click();
    await page.getByTestId('messages').waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('landed');
    const rows = page.locator('[data-testid^="message-row-"]');
    expect(await rows.count()).toBe(landed().length);
    expect(await page.getByTestId('message-state').allTextContents()).toEqual(landed().map(() => 'landed'));
    expect(await page.getByTestId('search-count').textContent()).toContain(`${landed().length} messages of ${seeded.tenant}`);
    // The form shows what was asked.
    expect(await page.getByTestId('search-since').inputValue()).toBe('1d');
    await noSecrets(page);

    const id = landed()[0]!;
    await page.getByTestId(`message-row-${id}`).getByTestId('message-link').click();
    await page.getByTestId('message-meta').waitFor();
    expect(await page.getByTestId('detail-message-id').textContent()).toBe(id);
    expect(await page.getByTestId('message-state').textContent()).toBe('landed');
    expect(await page.getByTestId('meta-tables').textContent()).toMatch(/^orders \d+ → \d+$/);
    expect(await page.getByTestId('meta-sender').textContent()).toBe('connection shop');
    expect(await page.getByTestId('payload').isVisible()).toBe(false);
    await noSecrets(page);

    // Without the token: refused, nothing shown.
    await page.getByTestId('show-payload').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain('Enter the admin token');
    expect(await page.getByTestId('payload').textContent()).toBe('');

    // A wrong token is refused and forgotten.
    await page.getByTestId('admin-token').fill('not-the-token');
    await page.getByTestId('admin-token-use').click();
    await page.getByTestId('show-payload').click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toBe('The admin token is not valid.');
    expect(await page.getByTestId('payload').textContent()).toBe('');
    await noSecrets(page);

    await page.getByTestId('admin-token').fill(ADMIN_TOKEN);
    await page.getByTestId('admin-token-use').click();
    await page.getByTestId('show-payload').click();
    await page.getByTestId('payload').waitFor({ state: 'visible' });
    const shown = (await page.getByTestId('payload').textContent())!;
    expect(shown).toContain(`"email": "${hasher.hash(seeded.tenant, PII_EMAIL)}"`);
    expect(shown).toContain(`"phone": "${hasher.hash(seeded.tenant, PII_PHONE)}"`);
    expect(shown).toContain('"total": 10.5');
    expect(await page.getByTestId('payload-note').textContent()).toBe('hashed: orders.email, orders.phone');
    await noSecrets(page);
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.context().cookies()).toEqual([]);

    // Forgetting the token takes the payload off the page.
    await page.getByTestId('admin-forget').click();
    expect(await page.getByTestId('payload').isVisible()).toBe(false);
    expect(await page.getByTestId('payload').textContent()).toBe('');
    // The one error the console shows is Chromium noting the wrong token's 401.
    expect(errors, errors.join('\n')).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    await page.context().close();
  });

  it('a dead message shows its redacted dead letter; a read-only processor shows no payload and no way to ask for it', async () => {
    const { page, errors } = await open(`${readOnlyUrl}/messages?tenant=${seeded.tenant}&status=dead`);
    expect(await page.locator('[data-testid^="message-row-"]').count()).toBe(2);
    await page.getByTestId(`message-row-${dead()[0]}`).getByTestId('message-link').click();
    await page.getByTestId('message-dead-letters').waitFor();
    expect(await page.getByTestId('message-dead-letter-reason').textContent()).toMatch(/‹redacted›/);
    expect(await page.getByTestId('payload-disabled').textContent()).toContain('PROCESSOR_ADMIN_TOKEN');
    expect(await page.getByTestId('show-payload').count()).toBe(0);
    expect(await page.getByTestId('read-only').isVisible()).toBe(true);
    await noSecrets(page);
    await page.getByTestId('back-to-search').click();
    await page.getByTestId('messages').waitFor();
    expect(await page.locator('[data-testid^="message-row-"]').count()).toBe(messages.length);
    expect(errors, errors.join('\n')).toEqual([]);
    await page.context().close();
  });
});
