// Pure: the status page's views and bounds: the query string, links between pages, the column-cap warning, pagers.
import { describe, expect, it } from 'vitest';
import { MAX_COLUMNS_PER_TABLE } from '../../../shared/ingest-limits.ts';
import { columnWarningText, renderColumnWarnings, renderPager } from '../../../processor/status/status-catalog-page.ts';
import type { StatusSnapshot } from '../../../processor/status/status-data.ts';
import { pageCount, parseStatusView, STATUS_LIMITS, viewQuery } from '../../../processor/status/status-view.ts';

describe('parseStatusView', () => {
  it.each([
    ['', { kind: 'overview', page: 1, deadLettersBefore: null }],
    ['page=3', { kind: 'overview', page: 3, deadLettersBefore: null }],
    ['tenant=acme', { kind: 'tenant', tenant: 'acme', page: 1, deadLettersBefore: null }],
    ['tenant=acme&table=orders&page=2&dead_letters_before=40', { kind: 'table', tenant: 'acme', table: 'orders', page: 2, deadLettersBefore: '40' }],
  ])('%s', (query, view) => expect(parseStatusView(new URLSearchParams(query))).toEqual({ ok: true, view }));

  it.each([
    ['page=0', 'page="0": use a page number from 1'],
    ['page=abc', 'page="abc"'],
    ['page=1e3', 'page="1e3"'],
    ['table=orders', 'table= needs tenant='],
    ['tenant=a&tenant=b', 'query parameter tenant is given more than once'],
    ['dead_letters_before=-1', 'dead_letters_before="-1"'],
    ['colums=2', 'unknown query parameter "colums"'],
  ])('refuses %s', (query, message) => {
    const parsed = parseStatusView(new URLSearchParams(query));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).toContain(message);
  });

  it('round-trips through viewQuery', () => {
    expect(viewQuery({})).toBe('');
    expect(viewQuery({ page: 1 })).toBe('');
    const query = viewQuery({ tenant: 'a&b', table: 'x y', page: 2, deadLettersBefore: '9' });
    expect(parseStatusView(new URLSearchParams(query.slice(1)))).toEqual({
      ok: true,
      view: { kind: 'table', tenant: 'a&b', table: 'x y', page: 2, deadLettersBefore: '9' },
    });
  });
});

describe('bounds', () => {
  it('warns from 90 % of the column cap', () => {
    expect(STATUS_LIMITS.columnWarningAt).toBe(Math.ceil(MAX_COLUMNS_PER_TABLE * 0.9));
    expect(columnWarningText('orders', 950, 1_000)).toBe('orders has 950 of 1,000 columns; fields past the limit go to _boitata_rescue');
    expect(columnWarningText('orders', 1_000, 1_000)).toBe('orders has reached the limit of 1,000 columns: new fields go to _boitata_rescue');
  });

  it('lists the warned tables, linked to them, and says how many more there are', () => {
    const snapshot = {
      limits: STATUS_LIMITS,
      column_warnings: { total: 25, tables: [{ tenant_id: 'acme', table: 'orders', columns: 950 }] },
    } as unknown as StatusSnapshot;
    const text = renderColumnWarnings(snapshot)!.text;
    expect(text).toContain('href="/status?tenant=acme&amp;table=orders"');
    expect(text).toContain('orders has 950 of 1,000 columns');
    expect(text).toContain('and 24 more tables');
    expect(renderColumnWarnings({ ...snapshot, column_warnings: { total: 0, tables: [] } })).toBeNull();
  });

  it('pages: counts, links, and nothing when one page holds everything', () => {
    expect([pageCount(0, 100), pageCount(1_000, 100), pageCount(1_001, 100)]).toEqual([1, 10, 11]);
    expect(renderPager({ page: 1, pages: 1 }, 'columns', String)).toBeNull();
    const middle = renderPager({ page: 2, pages: 10 }, 'columns', (page) => `/p${page}`)!.text;
    expect(middle).toContain('href="/p1" rel="prev"');
    expect(middle).toContain('href="/p3" rel="next"');
    expect(middle).toContain('href="/p10" data-testid="pager-last"');
    expect(renderPager({ page: 10, pages: 10 }, 'columns', String)!.text).not.toContain('rel="next"');
  });
});
