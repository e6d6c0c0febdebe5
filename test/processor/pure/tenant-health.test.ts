// Pure: which tenants get a label of their own (the worst, by turns over four rankings), the `_other` sum, and the
// status page's tenant health table.
import { describe, expect, it } from 'vitest';
import { foldOtherTenants, mergeTenantFigures, pickWorstTenants, type TenantFigures } from '../../../processor/status/tenant-health-rank.ts';
import { formatDuration, renderTenantHealth } from '../../../processor/status/tenant-health-view.ts';
import type { TenantHealthReport } from '../../../processor/status/tenant-health.ts';

const tenant = (id: string, figures: Partial<TenantFigures> = {}): TenantFigures => ({
  ...mergeTenantFigures([], [], [{ tenant_id: id, dead_letters_open: 0, dead_letters_recent: 0 }])[0]!,
  ...figures,
});

// a: the oldest waiting; b: the deepest queue; c: the most dead letters; d: the slowest landing; e, f: a bit of each.
const FIGURES = [
  tenant('a', { pending_messages: 1, oldest_waiting_seconds: 900 }),
  tenant('b', { pending_messages: 5000, processing_messages: 10, oldest_waiting_seconds: 20 }),
  tenant('c', { dead_letters_open: 40, dead_letters_recent: 2 }),
  tenant('d', { landed_messages: 10, freshness_p50_seconds: 4, freshness_p99_seconds: 30 }),
  tenant('e', { pending_messages: 2, oldest_waiting_seconds: 10, dead_letters_open: 1 }),
  tenant('f', { landed_messages: 100, freshness_p50_seconds: 0.05, freshness_p99_seconds: 0.2 }),
];

describe('pickWorstTenants', () => {
  it.each([
    [0, []],
    [1, ['a']],
    [2, ['a', 'b']],
    [3, ['a', 'b', 'c']],
    [4, ['a', 'b', 'c', 'd']],
    // Second turn: the next oldest waiting not shown is e; then depth (b, e, a) and dead letters (c, e) have none left; p99: f.
    [5, ['a', 'b', 'c', 'd', 'e']],
    [6, ['a', 'b', 'c', 'd', 'e', 'f']],
    [50, ['a', 'b', 'c', 'd', 'e', 'f']],
  ])('limit %i shows %j', (limit, shown) => {
    const picked = pickWorstTenants(FIGURES, limit);
    expect(picked.shown.map((f) => f.tenant)).toEqual(shown);
    expect(picked.folded.map((f) => f.tenant).sort()).toEqual(FIGURES.map((f) => f.tenant).filter((id) => !shown.includes(id)));
  });

  it('breaks ties by tenant id, so the label set does not flap between scrapes', () => {
    const tied = ['t3', 't1', 't2'].map((id) => tenant(id, { dead_letters_open: 1 }));
    expect(pickWorstTenants(tied, 2).shown.map((f) => f.tenant)).toEqual(['t1', 't2']);
  });
});

describe('mergeTenantFigures and foldOtherTenants', () => {
  it('merges the three reads into one line per tenant, zero where a read had nothing', () => {
    const merged = mergeTenantFigures(
      [{ tenant_id: 'x', pending_messages: 3, processing_messages: 1, pending_rows: 30, processing_rows: 10, oldest_waiting_seconds: 5 }],
      [{ tenant_id: 'y', landed_messages: 2, freshness_p50_seconds: 0.1, freshness_p99_seconds: 0.3 }],
      [{ tenant_id: 'x', dead_letters_open: 4, dead_letters_recent: 1 }],
    );
    expect(merged).toEqual([
      {
        ...tenant('x'),
        pending_messages: 3,
        processing_messages: 1,
        pending_rows: 30,
        processing_rows: 10,
        oldest_waiting_seconds: 5,
        dead_letters_open: 4,
        dead_letters_recent: 1,
      },
      { ...tenant('y'), landed_messages: 2, freshness_p50_seconds: 0.1, freshness_p99_seconds: 0.3 },
    ]);
  });

  it('sums counts, keeps the oldest age, and takes the freshness read over the folded tenants together', () => {
    const other = foldOtherTenants(FIGURES.slice(3), { p50: 0.5, p99: 12 });
    expect(other).toEqual({
      tenant: '_other',
      tenants: 3,
      pending_messages: 2,
      processing_messages: 0,
      pending_rows: 0,
      processing_rows: 0,
      oldest_waiting_seconds: 10,
      landed_messages: 110,
      freshness_p50_seconds: 0.5,
      freshness_p99_seconds: 12,
      dead_letters_open: 1,
      dead_letters_recent: 0,
    });
    expect(foldOtherTenants([], null)).toMatchObject({ tenants: 0, oldest_waiting_seconds: null, freshness_p99_seconds: null });
  });
});

describe('the tenant health table', () => {
  const report = (limit: number): TenantHealthReport => {
    const { shown, folded } = pickWorstTenants(FIGURES, limit);
    return {
      window_seconds: 300,
      limit,
      active_tenants: FIGURES.length,
      tenants: shown.map((f) => ({ ...f, tenants: 1 })),
      other: foldOtherTenants(folded, null),
    };
  };

  it('formats sub-second freshness in milliseconds', () => {
    expect([null, 0.0004, 0.085, 2.04, 75].map(formatDuration)).toEqual(['—', '0 ms', '85 ms', '2.0 s', '1 min 15 s']);
  });

  it('shows the worst tenants then _other with how many it sums, and names the bound', () => {
    const page = renderTenantHealth(report(2), null).text;
    expect([...page.matchAll(/data-testid="tenant-health-([^"]+)"/g)].map((m) => m[1])).toEqual(['bound', 'a', 'b', '_other']);
    expect(page).toContain('at most 2 of 6 active tenants (PROCESSOR_METRICS_TENANT_LIMIT), 4 more summed as _other');
    expect(page).toContain('_other (4 tenants)');
  });

  it('on a tenant view shows only that tenant, without _other', () => {
    const page = renderTenantHealth({ ...report(1), other: foldOtherTenants([], null) }, 'a').text;
    expect([...page.matchAll(/data-testid="tenant-health-([^"]+)"/g)].map((m) => m[1])).toEqual(['a']);
  });
});
