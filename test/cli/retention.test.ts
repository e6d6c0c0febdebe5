// `boitata retention run` as an operator runs it: the real database, a DuckDB file of its own (TRINO_URL unset). A dry
// run counts and changes nothing (rows, audit); the run deletes exactly the expired rows and records who ran it.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addTenant } from '../../cli/tenants.ts';
import { setPolicy } from '../../processor/governance/policies.ts';
import { canonicalTimestamp, type Cell, type ColumnType } from '../../processor/schema/column-types.ts';
import { DuckDbWarehouse } from '../../processor/warehouse/duckdb-warehouse.ts';
import type { LoadRow } from '../../processor/warehouse/warehouse.ts';
import { runBoitata } from './run-boitata.ts';

const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const tenant = `ret-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
const duckDbPath = join(tmpdir(), `boitata-retention-cli-${process.pid}-${randomUUID().slice(0, 8)}.duckdb`);
const env = (() => {
  const { TRINO_URL: _trino, ...rest } = process.env;
  return { ...rest, DATABASE_URL: databaseUrl, DUCKDB_PATH: duckDbPath };
})();
const boitata = (...args: string[]) => runBoitata(args, env);
const COLUMNS = new Map<string, ColumnType>([['id', 'bigint']]);

function row(id: number, daysAgo: number): LoadRow {
  return {
    messageId: randomUUID(),
    rowId: 0,
    receivedAt: canonicalTimestamp(new Date(Date.now() - daysAgo * 86_400_000).toISOString()),
    tenantId: tenant,
    endpoint: 'push',
    sequence: String(id),
    rescue: null,
    credential: 'connection:00000000-0000-0000-0000-000000000000',
    sourceId: null,
    provenance: null,
    cells: new Map<string, Cell>([['id', { type: 'bigint', text: String(id) }]]),
  };
}

/** The ids left in a table, read by this process (the file is closed again before the next CLI run). */
async function ids(table: string): Promise<number[]> {
  const warehouse = new DuckDbWarehouse({ path: duckDbPath, schemaPrefix: 'tenant_', readOnly: true });
  try {
    const { rows } = await warehouse.query(`SELECT CAST(id AS varchar) FROM "tenant_${tenant}"."${table}"`);
    return rows.map((r) => Number(r[0])).sort((x, y) => x - y);
  } finally {
    await warehouse.close();
  }
}

const audits = async () =>
  (await db.query(`SELECT actor, via, details FROM boitata_audit WHERE tenant_id = $1 AND action = 'retention.run' ORDER BY id`, [tenant])).rows;

beforeAll(async () => {
  await addTenant(db, { id: tenant });
  const warehouse = new DuckDbWarehouse({ path: duckDbPath, schemaPrefix: 'tenant_' });
  for (const table of ['events', 'orders']) {
    const ref = warehouse.tableRef(tenant, table);
    await warehouse.ensureSchema(ref);
    await warehouse.createTable(ref, [{ physical: 'id', type: 'bigint' }], { provenance: false });
    await warehouse.insertRows(ref, [row(1, 1), row(5, 5), row(20, 20)], COLUMNS, { provenance: false });
    await db.query('INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table) VALUES ($1, $2, $3, $4)', [
      tenant,
      table,
      ref.schema,
      ref.table,
    ]);
  }
  await warehouse.close();
  await setPolicy(db, tenant, '', { retentionSeconds: 10 * 86_400 }, 'test');
  await setPolicy(db, tenant, 'orders', { retentionSeconds: 2 * 86_400 }, 'test');
}, 120_000);

afterAll(async () => {
  await db.end();
  rmSync(duckDbPath, { force: true });
  rmSync(`${duckDbPath}.wal`, { force: true });
});

describe('boitata retention run', () => {
  it('refuses what it cannot run, saying what to change', async () => {
    expect(await boitata('retention')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "retention"') });
    expect(await boitata('retention', 'run', '--table', 'orders')).toMatchObject({ code: 2, stderr: expect.stringContaining('give --tenant T, not --table') });
    expect(await boitata('retention', 'run', '--tenant', `${tenant}-nobody`)).toMatchObject({ code: 1, stderr: expect.stringContaining('no tenant') });
    const config = await runBoitata(['retention', 'run', '--tenant', tenant], { ...env, QUEUE_DEAD_RETENTION_HOURS: '2' });
    expect(config).toMatchObject({ code: 2, stderr: expect.stringContaining('QUEUE_DEAD_RETENTION_HOURS') });
    expect(config.stderr).not.toContain('    at ');
  });

  it('a dry run prints each table, its cutoff and the rows it would delete, and changes nothing', async () => {
    const dry = await boitata('retention', 'run', '--tenant', tenant, '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const json = JSON.parse(dry.stdout);
    expect(json).toMatchObject({
      dry_run: true,
      rows: 3,
      failed_tables: 0,
      tables: [
        { tenant, table: 'events', retention: '10d', retention_from: 'tenant', rows: 1, error: null },
        { tenant, table: 'orders', retention: '2d', retention_from: 'table', rows: 2, error: null },
      ],
    });
    expect(json.tables[1].cutoff).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} \+00:00$/);
    const text = await boitata('retention', 'run', '--tenant', tenant, '--dry-run');
    expect(text.stdout).toMatch(/orders\s+2d\s+table\s+\S+ \S+ \+00:00\s+2\n/);
    expect(text.stdout).toContain('3 row(s) would be deleted; nothing was changed.');
    expect([await ids('events'), await ids('orders')]).toEqual([
      [1, 5, 20],
      [1, 5, 20],
    ]);
    expect(await audits()).toEqual([]);
  });

  it('deletes the expired rows and records who ran it', async () => {
    const run = await boitata('retention', 'run', '--tenant', tenant, '--requested-by', 'DPO ticket 42');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Deleted 3 row(s).');
    expect([await ids('events'), await ids('orders')]).toEqual([[1, 5], [1]]);
    expect(await audits()).toEqual([
      {
        actor: 'DPO ticket 42',
        via: 'cli',
        details: {
          deleted_rows: 3,
          tables: [
            expect.objectContaining({ table: 'events', retention_seconds: 864_000, deleted_rows: 1, error: null }),
            expect.objectContaining({ table: 'orders', retention_seconds: 172_800, deleted_rows: 2, error: null }),
          ],
        },
      },
    ]);
    // Again: nothing left to delete.
    expect(JSON.parse((await boitata('retention', 'run', '--tenant', tenant, '--json')).stdout)).toMatchObject({ rows: 0 });
  });
});
