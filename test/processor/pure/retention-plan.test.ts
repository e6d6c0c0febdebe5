// The retention planner as a table: registered tables and policies → the tables expired now and their cutoffs.
import { describe, expect, it } from 'vitest';
import { planRetention, policyTableOf, retentionCutoff, type PolicySetting, type RegisteredTable } from '../../../processor/governance/retention-plan.ts';
import { renderPruneQueue } from '../../../processor/governance/retention-queue.ts';

const NOW = new Date('2026-06-12T10:00:00.000Z');
const DAY = 86_400;
const policy = (tenantId: string, table: string, retentionSeconds: number | null, contract: PolicySetting['contract'] = null): PolicySetting => ({
  tenantId,
  table,
  contract,
  retentionSeconds,
});
const tables = (...names: string[]): RegisteredTable[] =>
  names.map((name) => {
    const [tenantId, table] = name.split('.') as [string, string];
    return { tenantId, table };
  });
const planned = (registered: RegisteredTable[], policies: PolicySetting[]) =>
  planRetention(registered, policies, NOW).map((t) => `${t.tenantId}.${t.table} ${t.retentionFrom} ${t.retentionSeconds} ${t.cutoff}`);

describe('planRetention', () => {
  const cases: Array<{ name: string; tables: RegisteredTable[]; policies: PolicySetting[]; expected: string[] }> = [
    { name: 'no policy: nothing expires', tables: tables('a.orders', 'a.events'), policies: [], expected: [] },
    {
      name: 'a contract alone sets no retention',
      tables: tables('a.orders'),
      policies: [policy('a', 'orders', null, 'freeze'), policy('a', '', null, 'evolve')],
      expected: [],
    },
    {
      name: "a table's own retention; its neighbours untouched",
      tables: tables('a.orders', 'a.events'),
      policies: [policy('a', 'orders', 90 * DAY)],
      expected: ['a.orders table 7776000 2026-03-14 10:00:00.000000 +00:00'],
    },
    {
      name: "the tenant's default reaches every table; a table's own setting wins",
      tables: tables('a.events', 'a.orders', 'a.sessions'),
      policies: [policy('a', '', 365 * DAY), policy('a', 'sessions', 36 * 3_600)],
      expected: [
        'a.events tenant 31536000 2025-06-12 10:00:00.000000 +00:00',
        'a.orders tenant 31536000 2025-06-12 10:00:00.000000 +00:00',
        'a.sessions table 129600 2026-06-10 22:00:00.000000 +00:00',
      ],
    },
    {
      name: 'a table clearing only its contract still inherits the default retention',
      tables: tables('a.orders'),
      policies: [policy('a', '', 30 * DAY), policy('a', 'orders', null, 'freeze')],
      expected: ['a.orders tenant 2592000 2026-05-13 10:00:00.000000 +00:00'],
    },
    {
      name: "another tenant's policies never apply",
      tables: tables('a.orders', 'b.orders'),
      policies: [policy('b', '', 7 * DAY), policy('b', 'orders', 1 * DAY)],
      expected: ['b.orders table 86400 2026-06-11 10:00:00.000000 +00:00'],
    },
    {
      name: "a quarantine table follows its table's retention",
      tables: tables('a._boitata_quarantine_orders', 'a._boitata_quarantine_events', 'a.orders'),
      policies: [policy('a', 'orders', 2 * DAY)],
      expected: ['a._boitata_quarantine_orders table 172800 2026-06-10 10:00:00.000000 +00:00', 'a.orders table 172800 2026-06-10 10:00:00.000000 +00:00'],
    },
    {
      name: 'sorted by tenant then table',
      tables: tables('b.z', 'a.y', 'b.a'),
      policies: [policy('a', '', DAY), policy('b', '', DAY)],
      expected: [
        'a.y tenant 86400 2026-06-11 10:00:00.000000 +00:00',
        'b.a tenant 86400 2026-06-11 10:00:00.000000 +00:00',
        'b.z tenant 86400 2026-06-11 10:00:00.000000 +00:00',
      ],
    },
  ];
  for (const { name, tables: registered, policies, expected } of cases) {
    it(name, () => expect(planned(registered, policies)).toEqual(expected));
  }

  it('names the policy table of each target', () => {
    const [target] = planRetention(tables('a._boitata_quarantine_orders'), [policy('a', 'orders', DAY)], NOW);
    expect(target).toMatchObject({ table: '_boitata_quarantine_orders', policyTable: 'orders' });
  });
});

describe('dayCutoff', () => {
  it('is the UTC midnight before the cutoff, or null when the cutoff is one', () => {
    const [target] = planRetention(tables('a.orders'), [policy('a', 'orders', 36 * 3_600)], NOW);
    expect(target).toMatchObject({ cutoff: '2026-06-10 22:00:00.000000 +00:00', dayCutoff: '2026-06-10 00:00:00.000000 +00:00' });
    const [midnight] = planRetention(tables('a.orders'), [policy('a', 'orders', 10 * 3_600)], NOW);
    expect(midnight).toMatchObject({ cutoff: '2026-06-12 00:00:00.000000 +00:00', dayCutoff: null });
  });
});

describe('retentionCutoff and policyTableOf', () => {
  it('keeps milliseconds and writes UTC canonical text', () => {
    expect(retentionCutoff(new Date('2026-06-12T10:00:00.123Z'), 3_600)).toBe('2026-06-12 09:00:00.123000 +00:00');
  });
  it.each([
    ['orders', 'orders'],
    ['_boitata_quarantine_orders', 'orders'],
    ['_BOITATA_QUARANTINE_Orders', 'orders'],
    ['_boitata_quarantine_', '_boitata_quarantine_'],
  ])('%s → %s', (table, expected) => expect(policyTableOf(table)).toBe(expected));
});

describe('renderPruneQueue', () => {
  // The WHERE must repeat the expression of each partial index (migrations 0005 and 0011), or Postgres scans the queue.
  it('compares the expression each partial index holds', () => {
    expect(renderPruneQueue('done')).toContain("status = 'done' AND processed_at < ");
    expect(renderPruneQueue('dead')).toContain("status = 'dead' AND COALESCE(processed_at, received_at) < ");
    expect(renderPruneQueue('dead')).toContain('LIMIT $3');
  });
});
