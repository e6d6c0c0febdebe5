// The retention planner as a table: registered tables and policies → the tables expired now and their cutoffs (each
// table followed by its quarantine table); and resolvePolicy, where NULL inherits and 0 keeps for ever explicitly.
import { describe, expect, it } from 'vitest';
import { formatRetention, KEEP_FOREVER, parseRetention, resolvePolicy } from '../../../processor/governance/policies.ts';
import { quarantineTableName } from '../../../processor/governance/quarantine-table.ts';
import { planRetention, retentionCutoff, type PolicySetting, type RegisteredTable } from '../../../processor/governance/retention-plan.ts';
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
// Each table's quarantine follows it with the same cutoff (checked in its own test): here only the tables.
const planned = (registered: RegisteredTable[], policies: PolicySetting[]) =>
  planRetention(registered, policies, NOW)
    .filter((t) => t.table === t.policyTable)
    .map((t) => `${t.tenantId}.${t.table} ${t.retentionFrom} ${t.retentionSeconds} ${t.cutoff}`);

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
      name: "a table's none (keep for ever) overrides the tenant's default; inherit (NULL) follows it",
      tables: tables('a.orders', 'a.events', 'a.visits'),
      policies: [policy('a', '', 30 * DAY), policy('a', 'orders', KEEP_FOREVER), policy('a', 'events', null, 'freeze')],
      expected: ['a.events tenant 2592000 2026-05-13 10:00:00.000000 +00:00', 'a.visits tenant 2592000 2026-05-13 10:00:00.000000 +00:00'],
    },
    {
      name: "a tenant's none keeps every table without a setting of its own",
      tables: tables('a.orders', 'a.events'),
      policies: [policy('a', '', KEEP_FOREVER), policy('a', 'orders', DAY)],
      expected: ['a.orders table 86400 2026-06-11 10:00:00.000000 +00:00'],
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

  it('follows each table with its quarantine table, same retention and cutoffs; a stray registered quarantine is not doubled', () => {
    const long = 'x'.repeat(120);
    const plan = planRetention(
      tables(`a.${long}`, 'a.orders', 'a._boitata_quarantine_orders', 'a.events'),
      [policy('a', 'orders', 36 * 3_600), policy('a', long, DAY)],
      NOW,
    );
    expect(plan.map((t) => [t.table, t.policyTable, t.retentionSeconds, t.cutoff, t.dayCutoff])).toEqual([
      ['orders', 'orders', 129_600, '2026-06-10 22:00:00.000000 +00:00', '2026-06-10 00:00:00.000000 +00:00'],
      ['_boitata_quarantine_orders', 'orders', 129_600, '2026-06-10 22:00:00.000000 +00:00', '2026-06-10 00:00:00.000000 +00:00'],
      [long, long, 86_400, '2026-06-11 10:00:00.000000 +00:00', '2026-06-11 00:00:00.000000 +00:00'],
      [quarantineTableName(long), long, 86_400, '2026-06-11 10:00:00.000000 +00:00', '2026-06-11 00:00:00.000000 +00:00'],
    ]);
  });
});

describe('resolvePolicy', () => {
  const row = (contract: PolicySetting['contract'], retention: number | string | null) => ({ contract, retention_seconds: retention });
  it.each([
    ['nothing set: the built-in', null, null, ['evolve', null, 'default', 'default']],
    ['the tenant default', null, row('freeze', 86_400), ['freeze', 86_400, 'tenant', 'tenant']],
    ['NULL inherits the tenant default', row(null, null), row('quarantine', '86400'), ['quarantine', 86_400, 'tenant', 'tenant']],
    ["the table's own wins", row('evolve', 3_600), row('freeze', 86_400), ['evolve', 3_600, 'table', 'table']],
    ["the table's none (0) keeps for ever over the tenant's retention", row(null, 0), row(null, 86_400), ['evolve', null, 'default', 'table']],
    ['0 as Postgres returns a bigint', row(null, '0'), row(null, '86400'), ['evolve', null, 'default', 'table']],
    ["the tenant's none", null, row(null, 0), ['evolve', null, 'default', 'tenant']],
  ] as const)('%s', (_name, own, tenant, [contract, retentionSeconds, contractFrom, retentionFrom]) => {
    expect(resolvePolicy(own, tenant)).toEqual({ contract, retentionSeconds, contractFrom, retentionFrom });
  });
});

describe('parseRetention and formatRetention', () => {
  it.each([
    ['90d', 90 * DAY, '90d'],
    ['36h', 129_600, '36h'],
    ['none', KEEP_FOREVER, 'none'],
    ['Forever', KEEP_FOREVER, 'none'],
  ])('%s → %s → %s', (text, seconds, shown) => {
    expect(parseRetention(text)).toEqual({ ok: true, seconds });
    expect(formatRetention(seconds)).toBe(shown);
  });
  it('refuses what is not hours or days, too short or too long', () => {
    for (const text of ['0h', '90m', 'inherit', '36501d', '']) expect(parseRetention(text).ok, text).toBe(false);
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

describe('retentionCutoff', () => {
  it('keeps milliseconds and writes UTC canonical text', () => {
    expect(retentionCutoff(new Date('2026-06-12T10:00:00.123Z'), 3_600)).toBe('2026-06-12 09:00:00.123000 +00:00');
  });
});

describe('renderPruneQueue', () => {
  // The WHERE must repeat the expression of each partial index (migrations 0005 and 0011), or Postgres scans the queue.
  it('compares the expression each partial index holds', () => {
    expect(renderPruneQueue('done')).toContain("status = 'done' AND processed_at < ");
    expect(renderPruneQueue('dead')).toContain("status = 'dead' AND COALESCE(processed_at, received_at) < ");
    expect(renderPruneQueue('dead')).toContain('LIMIT $3');
  });
});
