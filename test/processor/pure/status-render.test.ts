// Pure: the status page's pieces: escaping, the rendered page, the throughput buckets, alias reasons, the admin token check.
import { describe, expect, it } from 'vitest';
import { createAdminGuard } from '../../../processor/status/admin-token.ts';
import { escapeHtml, html } from '../../../processor/status/html.ts';
import { explainAlias } from '../../../processor/status/explain-alias.ts';
import type { StatusSnapshot } from '../../../processor/status/status-data.ts';
import { STATUS_PAGE_CSP } from '../../../processor/status/status-page-assets.ts';
import { STATUS_LIMITS } from '../../../processor/status/status-view.ts';
import { formatAge, renderStatusPage } from '../../../processor/status/status-page.ts';
import { fillThroughput } from '../../../processor/status/throughput.ts';
import { formatRate, niceCeiling, renderThroughputChart } from '../../../processor/status/throughput-chart.ts';
import { foldOtherTenants } from '../../../processor/status/tenant-health-rank.ts';

const NOW = new Date('2026-06-12T10:00:00.000Z');
const EVIL = '<script>alert("x")</script>';

/** A tenant's view (`/status?tenant=acme`): the tenant's line, its one table with its columns and aliases. */
function snapshot(replay: boolean): StatusSnapshot {
  return {
    generated_at: NOW.toISOString(),
    view: { kind: 'tenant', tenant: 'acme', table: null, page: 1 },
    limits: STATUS_LIMITS,
    queue: { pending: 1234, processing: 2, oldest_waiting_seconds: 75 },
    throughput: fillThroughput(
      [
        { age: 0, rows: 300, messages: 3 },
        { age: 5, rows: 60, messages: 1 },
      ],
      NOW,
      30,
      900,
    ),
    processor: { batches: { ok: 10, failed: 1 }, failures: { warehouse_transient: 1 }, rows: 360, messages: { done: 4, dead: 1 } },
    dead_letters: {
      open: 1,
      limit: 100,
      older: null,
      latest: [
        { id: '7', tenant_id: 'acme', message_id: 'm-1', error_code: 'warehouse_rejected', reason: `bad ${EVIL}`, attempts: 3, dead_at: NOW.toISOString() },
      ],
    },
    column_warnings: { total: 0, tables: [] },
    tenants: {
      total: 1,
      page: 1,
      pages: 1,
      per_page: 100,
      items: [{ id: 'acme', name: 'Acme', queue: { pending: 1234, processing: 2, oldest_waiting_seconds: 75 }, dead_letters_open: 1, table_count: 1 }],
    },
    tables: {
      total: 1,
      page: 1,
      pages: 1,
      per_page: 20,
      items: [
        {
          name: 'orders',
          warehouse_table: 'tenant_acme.orders',
          schema_version: 3,
          created_at: NOW.toISOString(),
          last_loaded_at: null,
          column_count: 2,
          pii_count: 1,
          alias_count: 1,
          near_column_cap: false,
          columns_from: 0,
          aliases_from: 0,
          columns: [
            { logical: 'email', physical: 'email', type: 'varchar', origin: 'payload', pii: true, pii_source: 'name', description: EVIL, tags: ['contact'] },
            { logical: 'total', physical: 'total', type: 'double', origin: 'payload', pii: false, pii_source: null, description: null, tags: [] },
          ],
          aliases: [{ field: 'e_mail', column: 'email', decided_by: 'typo', why: 'typo: edit distance 1', created_at: NOW.toISOString() }],
        },
      ],
    },
    replay: { enabled: replay },
    tenant_health: { window_seconds: 300, limit: 50, active_tenants: 0, tenants: [], other: foldOtherTenants([], null) },
  };
}

describe('html', () => {
  it('escapes interpolations, not the template, and joins arrays', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(html`<td title="${'"><b>'}">${[EVIL, html`<i>ok</i>`, null, false]}</td>`.text).toBe(
      '<td title="&quot;&gt;&lt;b&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<i>ok</i></td>',
    );
  });
});

describe('renderStatusPage', () => {
  it('shows the counts, tables, PII flags and alias reasons, with every text escaped', () => {
    const page = renderStatusPage(snapshot(false));
    expect(page).toContain('data-testid="queue-pending">1,234<');
    expect(page).toContain('data-testid="column-email" data-pii="true"');
    expect(page).toContain('typo: edit distance 1');
    expect(page).not.toContain(EVIL);
    expect(page.match(/<script>/g)).toHaveLength(1); // ours only
  });

  it('offers replay only when an admin token is configured', () => {
    expect(renderStatusPage(snapshot(false))).not.toContain('data-replay=');
    expect(renderStatusPage(snapshot(false))).toContain('data-testid="read-only"');
    expect(renderStatusPage(snapshot(true))).toContain('data-replay="7"');
    expect(renderStatusPage(snapshot(true))).toContain('id="admin-token"');
  });

  it('allows only its own inline style and script', () => {
    expect(STATUS_PAGE_CSP).toMatch(/default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'; connect-src 'self'/);
  });
});

describe('throughput', () => {
  it('fills the window with buckets ending now, oldest first', () => {
    const t = fillThroughput(
      [
        { age: 0, rows: 300, messages: 3 },
        { age: 1, rows: 30, messages: 1 },
        { age: -1, rows: 3, messages: 1 },
        { age: 99, rows: 5, messages: 1 },
      ],
      NOW,
      30,
      900,
    );
    expect(t.buckets).toHaveLength(30);
    expect(t.buckets.at(-1)).toEqual({ start: '2026-06-12T09:59:30.000Z', end: NOW.toISOString(), rows: 303, messages: 4, rows_per_second: 10.1 });
    expect(t.buckets[0]!.start).toBe('2026-06-12T09:45:00.000Z');
    expect([t.rows, t.messages]).toEqual([333, 5]);
    expect(t.rows_per_second_last_minute).toBeCloseTo(333 / 60);
  });

  it('draws one bar per bucket and says so when nothing landed', () => {
    const chart = renderThroughputChart(fillThroughput([{ age: 0, rows: 30, messages: 1 }], NOW, 30, 900)).text;
    expect(chart.match(/class="bar"/g)).toHaveLength(30);
    expect(renderThroughputChart(fillThroughput([], NOW, 30, 900)).text).toContain('no rows landed in the last 15 minutes');
  });

  it.each([
    [0, 0],
    [0.3, 0.5],
    [1, 1],
    [1.1, 2],
    [3, 5],
    [7, 10],
    [420, 500],
    [1001, 2000],
  ])('niceCeiling(%d) = %d', (value, nice) => expect(niceCeiling(value)).toBe(nice));

  it.each([
    [0, '0'],
    [0.25, '0.25'],
    [3.33, '3.3'],
    [42.4, '42'],
    [1500, '1.5k'],
    [25_000, '25k'],
  ])('formatRate(%d) = %s', (value, text) => expect(formatRate(value)).toBe(text));

  it.each([
    [5, '5 s'],
    [75, '1 min 15 s'],
    [7300, '2 h 1 min'],
    [90_000, '1 d 1 h'],
  ])('formatAge(%d) = %s', (seconds, text) => expect(formatAge(seconds)).toBe(text));
});

describe('explainAlias', () => {
  it.each([
    ['typo', { distance: 1 }, 'typo: edit distance 1'],
    ['dictionary', { group: 'phone' }, 'synonyms: phone'],
    ['model', { model: 'gpt-x', confidence: 0.934 }, 'model gpt-x, confidence 0.93'],
    ['model', { model: 'gpt-x', samples: ['maria@example.com'] }, 'model gpt-x'],
    ['typo', 'not an object', 'typo'],
  ])('%s %j → %s', (decidedBy, evidence, why) => expect(explainAlias(decidedBy, evidence)).toBe(why));
});

describe('createAdminGuard', () => {
  it('is disabled without a token, and accepts only the exact Bearer token', () => {
    expect(createAdminGuard(undefined).check('Bearer anything')).toBe('disabled');
    expect(createAdminGuard('').enabled).toBe(false);
    const guard = createAdminGuard('s3cret-admin');
    expect(guard.check('Bearer s3cret-admin')).toBe('allowed');
    expect(guard.check('bearer s3cret-admin')).toBe('allowed');
    expect(guard.check('Bearer s3cret-admin2')).toBe('wrong');
    expect(guard.check('Basic czNjcmV0')).toBe('missing');
    expect(guard.check('s3cret-admin')).toBe('missing');
    expect(guard.check(undefined)).toBe('missing');
  });
});
