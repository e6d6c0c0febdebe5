// `boitata tables set|policy` and `boitata tenants set` as an operator runs them, against the real database: a table's
// contract and retention, the tenant default and what inherits it, clearing back to inherit, the audit trail, the
// schema history (a contract change bumps a registered table's version, so processors re-read it), and the errors.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBoitata } from './run-boitata.ts';
import { addTenant } from '../../cli/tenants.ts';
import { loadRetentionTargets } from '../../processor/governance/retention-run.ts';
import { registerTable } from '../../processor/schema/catalog-sql.ts';

const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const tenant = `policy-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;

const boitata = (...args: string[]) => runBoitata(args, { ...process.env, DATABASE_URL: databaseUrl });
const json = async (...args: string[]) => {
  const result = await boitata(...args, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
};

const versions = async () =>
  (
    await db.query<{ table_name: string; schema_version: number }>('SELECT table_name, schema_version FROM boitata_tables WHERE tenant_id = $1 ORDER BY 1', [
      tenant,
    ])
  ).rows.map((r) => [r.table_name, r.schema_version]);

const history = async (table: string) =>
  (
    await db.query<{ version: number; changes: unknown }>(
      'SELECT version, changes FROM boitata_schema_versions WHERE tenant_id = $1 AND table_name = $2 ORDER BY version',
      [tenant, table],
    )
  ).rows;

const audit = async () =>
  (
    await db.query<{ actor: string; via: string; action: string; details: Record<string, unknown> }>(
      'SELECT actor, via, action, details FROM boitata_audit WHERE tenant_id = $1 ORDER BY id',
      [tenant],
    )
  ).rows;

beforeAll(async () => {
  await addTenant(db, { id: tenant });
  // Two tables the registry knows, at version 0 as a first load leaves them before its bump.
  for (const table of ['orders', 'refunds']) await registerTable(db, tenant, table, { catalog: 'iceberg', schema: `tenant_${tenant}`, table });
}, 120_000);

afterAll(() => db.end());

describe('boitata tables set / tenants set / tables policy', () => {
  it('refuses what it cannot run with exit code 2, saying what to fix, and changes nothing', async () => {
    const cases: Array<[string[], string]> = [
      [['tables', 'set', '--tenant', tenant, '--table', 'orders'], 'give --contract evolve|freeze|quarantine|inherit and/or --retention'],
      [['tables', 'set', '--tenant', tenant, '--table', 'orders', '--contract', 'lock'], '--contract must be one of evolve, freeze, quarantine or inherit'],
      [['tables', 'set', '--tenant', tenant, '--table', 'orders', '--retention', '90m'], 'retention must be a number of hours or days such as 36h or 90d'],
      [['tenants', 'set', '--tenant', `${tenant}-nobody`, '--retention', '30d'], `no tenant "${tenant}-nobody"`],
      [['tables', 'set', '--tenant', tenant, '--contract', 'freeze'], '--table is required'],
      [['tables', 'set', '--tenant', tenant, '--table', '_boitata_quarantine_orders', '--contract', 'freeze'], 'reserved'],
    ];
    for (const [args, message] of cases) {
      const result = await boitata(...args);
      expect(result, args.join(' ')).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(await audit()).toEqual([]);
    expect(await versions()).toEqual([
      ['orders', 0],
      ['refunds', 0],
    ]);
  });

  it("sets a table's contract and retention: audited with the actor, the contract in the table's schema history", async () => {
    const set = await json(
      'tables',
      'set',
      '--tenant',
      tenant,
      '--table',
      'Orders',
      '--contract',
      'freeze',
      '--retention',
      '90d',
      '--requested-by',
      'ticket-42',
    );
    expect(set).toMatchObject({
      table: 'orders',
      requested_by: 'ticket-42',
      before: { contract: null, retention: null },
      after: { contract: 'freeze', retention: '90d' },
      schema_versions: [{ table: 'orders', from: 'evolve', to: 'freeze', version: 1 }],
    });
    expect(await versions()).toEqual([
      ['orders', 1],
      ['refunds', 0],
    ]);
    expect(await history('orders')).toEqual([
      { version: 1, changes: [{ kind: 'set_contract', from: 'evolve', to: 'freeze', by: 'ticket-42', scope: 'table' }] },
    ]);
    expect(await audit()).toEqual([
      {
        actor: 'ticket-42',
        via: 'cli',
        action: 'policy.set',
        details: {
          table: 'orders',
          scope: 'table',
          before: { contract: null, retention: null },
          after: { contract: 'freeze', retention: '90d' },
          schema_versions: [{ table: 'orders', from: 'evolve', to: 'freeze', version: 1 }],
        },
      },
    ]);
    // Only the retention: the contract stays, the version does not move.
    const retention = await json('tables', 'set', '--tenant', tenant, '--table', 'orders', '--retention', '36h');
    expect(retention).toMatchObject({ after: { contract: 'freeze', retention: '36h' }, schema_versions: [] });
    expect((await versions())[0]).toEqual(['orders', 1]);
  });

  it('applies a tenant default to the tables without a setting of their own, bumping only those whose contract moves', async () => {
    const set = await boitata('tenants', 'set', '--tenant', tenant, '--contract', 'quarantine', '--retention', '365d');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`Tenant ${tenant}'s default: contract inherit → quarantine, retention inherit → 365d.`);
    expect(set.stdout).toContain('refunds: contract evolve → quarantine (schema version 1)');
    expect(await versions()).toEqual([
      ['orders', 1],
      ['refunds', 1],
    ]);
    expect(await history('refunds')).toEqual([
      { version: 1, changes: [{ kind: 'set_contract', from: 'evolve', to: 'quarantine', by: expect.stringMatching(/^os:/), scope: 'tenant_default' }] },
    ]);
    // A policy may name a table before its first row.
    await json('tables', 'set', '--tenant', tenant, '--table', 'payments', '--contract', 'evolve');
    const shown = await json('tables', 'policy', '--tenant', tenant);
    expect(shown).toEqual({
      tenant,
      tenant_default: { contract: 'quarantine', retention: '365d' },
      tables: [
        { table: 'orders', registered: true, contract: 'freeze', contract_from: 'table', retention: '36h', retention_from: 'table' },
        { table: 'payments', registered: false, contract: 'evolve', contract_from: 'table', retention: '365d', retention_from: 'tenant' },
        { table: 'refunds', registered: true, contract: 'quarantine', contract_from: 'tenant', retention: '365d', retention_from: 'tenant' },
      ],
    });
    const text = await boitata('tables', 'show', '--tenant', tenant, '--table', 'orders');
    expect(text.stdout).toContain(`Tenant ${tenant}: default contract quarantine, default retention 365d.`);
    expect(text.stdout).toMatch(/orders\s+freeze \(table\)\s+36h \(table\)\s+exists/);
    expect(text.stdout).not.toContain('refunds');
  });

  it("clears a table's own settings with inherit: it follows the tenant default again, its history says so", async () => {
    const cleared = await json('tables', 'set', '--tenant', tenant, '--table', 'orders', '--contract', 'inherit', '--retention', 'inherit');
    expect(cleared).toMatchObject({
      before: { contract: 'freeze', retention: '36h' },
      after: { contract: null, retention: null },
      schema_versions: [{ table: 'orders', from: 'freeze', to: 'quarantine', version: 2 }],
    });
    const shown = (await json('tables', 'policy', '--tenant', tenant, '--table', 'orders')) as { tables: unknown[] };
    expect(shown.tables).toEqual([
      { table: 'orders', registered: true, contract: 'quarantine', contract_from: 'tenant', retention: '365d', retention_from: 'tenant' },
    ]);
    // The tenant default back to evolve: both tables inherit it now, both move.
    const back = await json('tenants', 'set', '--tenant', tenant, '--contract', 'evolve');
    expect(back['schema_versions']).toEqual([
      { table: 'orders', from: 'quarantine', to: 'evolve', version: 3 },
      { table: 'refunds', from: 'quarantine', to: 'evolve', version: 2 },
    ]);
    expect((await audit()).map((a) => a.action)).toEqual(Array(6).fill('policy.set'));
  });

  it("keeps a table's rows for ever with --retention none, over the tenant's default; inherit follows the default again", async () => {
    const expiring = async () => (await loadRetentionTargets(db, [tenant], new Date())).map((t) => t.table);
    expect(await expiring()).toEqual(['orders', '_boitata_quarantine_orders', 'refunds', '_boitata_quarantine_refunds']);
    const none = await boitata('tables', 'set', '--tenant', tenant, '--table', 'refunds', '--retention', 'none');
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain(`Table refunds of tenant ${tenant}: contract inherit → inherit, retention inherit → none.`);
    const row = await db.query('SELECT retention_seconds FROM boitata_policies WHERE tenant_id = $1 AND table_name = $2', [tenant, 'refunds']);
    expect(row.rows).toEqual([{ retention_seconds: '0' }]);
    const shown = (await json('tables', 'policy', '--tenant', tenant)) as { tables: Array<Record<string, unknown>> };
    expect(shown.tables.find((t) => t['table'] === 'refunds')).toMatchObject({ retention: 'none', retention_from: 'table' });
    expect(shown.tables.find((t) => t['table'] === 'orders')).toMatchObject({ retention: '365d', retention_from: 'tenant' });
    expect(await expiring()).toEqual(['orders', '_boitata_quarantine_orders']);

    const back = await json('tables', 'set', '--tenant', tenant, '--table', 'refunds', '--retention', 'inherit');
    expect(back).toMatchObject({ before: { retention: 'none' }, after: { retention: null } });
    expect(await expiring()).toEqual(['orders', '_boitata_quarantine_orders', 'refunds', '_boitata_quarantine_refunds']);
    // The tenant's own none: nothing of the tenant expires.
    await json('tenants', 'set', '--tenant', tenant, '--retention', 'none');
    expect(await expiring()).toEqual([]);
    expect((await json('tables', 'policy', '--tenant', tenant))['tenant_default']).toEqual({ contract: 'evolve', retention: 'none' });
  });
});
