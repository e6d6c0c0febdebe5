// `boitata tenants delete` as an operator runs it (a child process, the real Postgres, a DuckDB file): the dry run
// lists what would go and changes nothing, the deletion needs --requested-by, leaves a receipt and an audit entry, a
// second run says it was done already, and the id cannot be added again. The landing itself, on both warehouses,
// is test/processor/warehouse/tenant-delete.test.ts's.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addApiKey } from '../../cli/api-keys.ts';
import { addConnection } from '../../cli/connections.ts';
import { addTenant } from '../../cli/tenants.ts';
import { DuckDbWarehouse } from '../../processor/warehouse/duckdb-warehouse.ts';
import { runBoitata } from './run-boitata.ts';

const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const tenant = `del-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
let dir = '';
let duckDbPath = '';
let token = '';
let keySecret = '';

/** `boitata` on the DuckDB file (no TRINO_URL, whatever the test run has). */
function boitata(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, DUCKDB_PATH: duckDbPath, TRINO_SCHEMA_PREFIX: 'tenant_' };
  delete env['TRINO_URL'];
  return runBoitata(args, env);
}

/** Every row of the tenant's in Postgres, store by store, and the audit entries: what a dry run must leave as it was. */
async function snapshot(): Promise<string> {
  const { rows } = await db.query<{ text: string }>(
    `SELECT concat_ws('|',
       (SELECT string_agg(q::text, ',' ORDER BY q.id) FROM boitata_inbound_queue q WHERE tenant_id = $1),
       (SELECT string_agg(c::text, ',' ORDER BY c.id) FROM boitata_connections c WHERE tenant_id = $1),
       (SELECT string_agg(k::text, ',' ORDER BY k.id) FROM boitata_api_keys k WHERE tenant_id = $1),
       (SELECT string_agg(t::text, ',') FROM boitata_tables t WHERE tenant_id = $1),
       (SELECT string_agg(t::text, ',') FROM boitata_tenants t WHERE id = $1),
       (SELECT count(*)::text FROM boitata_audit),
       (SELECT count(*)::text FROM boitata_deleted_tenants WHERE id = $1)) AS text`,
    [tenant],
  );
  return rows[0]!.text;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boitata-tenant-delete-'));
  duckDbPath = join(dir, 'warehouse.duckdb');
  await addTenant(db, { id: tenant });
  const { connection, token: issued } = await addConnection(db, { tenant, name: 'main' });
  token = issued;
  keySecret = (await addApiKey(db, { tenant, kind: 'metrics' })).secret;
  const messageId = randomUUID();
  await db.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
     VALUES ($1, $2, $3::uuid, 'push', 'array', 'events', '[{"id": 1}]', 1, '{}', $3::uuid)`,
    [messageId, tenant, connection.id],
  );
  const warehouse = new DuckDbWarehouse({ path: duckDbPath, schemaPrefix: 'tenant_' });
  const ref = warehouse.tableRef(tenant, 'events');
  await warehouse.ensureSchema(ref);
  await warehouse.createTable(ref, [{ physical: 'id', type: 'bigint' }]);
  await warehouse.close();
  await db.query(`INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table) VALUES ($1, 'events', $2, 'events')`, [
    tenant,
    ref.schema,
  ]);
});

afterAll(async () => {
  await db.end();
  await rm(dir, { recursive: true, force: true });
});

describe('boitata tenants delete', () => {
  it('dry run: lists what would go, store by store and table by table, and changes nothing', async () => {
    const before = await snapshot();
    const text = await boitata('tenants', 'delete', '--tenant', tenant, '--dry-run');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Would delete tenant ${tenant}:`);
    expect(text.stdout).toMatch(/boitata_inbound_queue\s+1/);
    expect(text.stdout).toMatch(/events\s+0\s+yes/);
    expect(text.stdout).toContain('Dry run: nothing was deleted.');
    const json = await boitata('tenants', 'delete', '--tenant', tenant, '--dry-run', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      dry_run: true,
      state: 'active',
      postgres: { boitata_inbound_queue: 1, boitata_connections: 1, boitata_api_keys: 1, boitata_tables: 1, boitata_tenants: 1 },
      warehouse: { schema: `tenant_${tenant}`, tables: [{ name: 'events', registered: true, rows: 0 }] },
    });
    expect(await snapshot()).toBe(before);
  });

  it('refuses to delete without --requested-by, and a tenant that never was', async () => {
    const unnamed = await boitata('tenants', 'delete', '--tenant', tenant);
    expect([unnamed.code, unnamed.stderr]).toEqual([2, expect.stringContaining('needs --requested-by WHO')]);
    const unknown = await boitata('tenants', 'delete', '--tenant', 'no-such-tenant-ever', '--requested-by', 'x');
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('no tenant "no-such-tenant-ever"')]);
  });

  it('deletes, records who asked, says so on a second run, and refuses the id afterwards', async () => {
    const deleted = await boitata('tenants', 'delete', '--tenant', tenant, '--requested-by', 'ticket DPO-42');
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`Deleted tenant ${tenant}, requested by ticket DPO-42.`);
    const { rows: receipts } = await db.query<{ requested_by: string; report: { status: string } }>(
      'SELECT requested_by, report FROM boitata_deleted_tenants WHERE id = $1',
      [tenant],
    );
    expect(receipts).toEqual([{ requested_by: 'ticket DPO-42', report: expect.objectContaining({ status: 'done' }) }]);
    const audit = JSON.parse((await boitata('audit', 'list', '--tenant', tenant, '--action', 'tenant.delete', '--json')).stdout) as Array<{ actor: string }>;
    expect(audit.map((entry) => entry.actor)).toEqual(['ticket DPO-42']);
    const trail = JSON.stringify({ receipts, audit });
    for (const secret of [token, keySecret]) expect(trail).not.toContain(secret);
    expect((await db.query('SELECT 1 FROM boitata_inbound_queue WHERE tenant_id = $1', [tenant])).rowCount).toBe(0);

    const again = await boitata('tenants', 'delete', '--tenant', tenant, '--requested-by', 'someone else');
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining(`was already deleted on`)]);
    expect(again.stdout).toContain('(requested by ticket DPO-42): nothing left to delete.');

    const added = await boitata('tenants', 'add', tenant);
    expect(added.code).toBe(1);
    expect(added.stderr).toContain(`tenant id ${tenant} belonged to a tenant deleted on`);
    expect(added.stderr).toContain('Choose another id.');
  });
});
