// The `boitata` command as an operator runs it, against the real test database.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runBoitata } from './run-boitata.ts';

const run = promisify(execFile);
const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
afterAll(() => db.end());

const boitata = (...args: string[]) => runBoitata(args, { ...process.env, DATABASE_URL: databaseUrl });

const tenant = `cli-${Date.now().toString(36)}`;

describe('boitata CLI', () => {
  it('migrate is idempotent', async () => {
    const result = await boitata('migrate');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/up to date/);
  });

  it('creates a tenant and a connection, printing the token once and storing only its hash', async () => {
    expect((await boitata('tenants', 'add', tenant, '--name', 'CLI Test')).code).toBe(0);
    const added = await boitata(
      'connections',
      'add',
      '--tenant',
      tenant,
      '--name',
      'stripe',
      '--table',
      'orders',
      '--allowed-ips',
      '203.0.113.0/24,2001:db8::/32',
      '--rate-limit',
      '120',
      '--json',
    );
    expect(added.code).toBe(0);
    const connection = JSON.parse(added.stdout) as { id: string; token: string; token_prefix: string; allowed_ips: string[]; rate_limit_per_minute: number };
    expect(connection.token).toMatch(/^bt_ik_[A-Za-z0-9_-]{43}$/);
    expect(connection.token.startsWith(connection.token_prefix)).toBe(true);
    expect(connection.allowed_ips).toEqual(['203.0.113.0/24', '2001:db8::/32']);
    expect(connection.rate_limit_per_minute).toBe(120);

    const stored = await db.query('SELECT token_hash FROM boitata_connections WHERE id = $1', [connection.id]);
    expect(stored.rows[0].token_hash).toEqual(createHash('sha256').update(connection.token).digest());
    const everything = JSON.stringify((await db.query('SELECT * FROM boitata_connections WHERE id = $1', [connection.id])).rows);
    expect(everything).not.toContain(connection.token);

    const listed = await boitata('connections', 'list', '--tenant', tenant);
    expect(listed.stdout).toContain(connection.token_prefix);
    expect(listed.stdout).not.toContain(connection.token);
  });

  it('updates a connection: allowlist replaced or cleared, limit and default table changed', async () => {
    const added = JSON.parse((await boitata('connections', 'add', '--tenant', tenant, '--name', 'upd', '--allowed-ips', '10.0.0.0/8', '--json')).stdout) as {
      id: string;
    };
    const updated = JSON.parse(
      (
        await boitata(
          'connections',
          'update',
          added.id,
          '--allowed-ips',
          '::ffff:192.0.2.0/120,2001:db8::/48',
          '--rate-limit',
          '60',
          '--table',
          'leads',
          '--json',
        )
      ).stdout,
    ) as {
      allowed_ips: string[];
      rate_limit_per_minute: number;
      default_table: string | null;
    };
    expect(updated).toMatchObject({ allowed_ips: ['192.0.2.0/24', '2001:db8::/48'], rate_limit_per_minute: 60, default_table: 'leads' });
    const cleared = JSON.parse(
      (await boitata('connections', 'update', added.id, '--allowed-ips', 'none', '--table', 'none', '--json')).stdout,
    ) as typeof updated;
    expect(cleared).toMatchObject({ allowed_ips: [], rate_limit_per_minute: 60, default_table: null });
    const missing = await boitata('connections', 'update', '00000000-0000-0000-0000-000000000000', '--rate-limit', '5');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no connection/);
  });

  it('creates, rotates and revokes keys', async () => {
    const added = JSON.parse((await boitata('keys', 'add', '--tenant', tenant, '--kind', 'source', '--source-id', 'src_1', '--json')).stdout) as {
      id: string;
      key: string;
      lineage_id: string;
    };
    expect(added.key).toMatch(/^bt_sk_/);
    const rotated = JSON.parse((await boitata('keys', 'rotate', added.id, '--overlap', '60', '--json')).stdout) as {
      id: string;
      key: string;
      lineage_id: string;
      previous: { expires_at: string };
    };
    expect(rotated.lineage_id).toBe(added.lineage_id);
    expect(rotated.key).not.toBe(added.key);
    const overlapMs = Date.parse(rotated.previous.expires_at) - Date.now();
    expect(overlapMs).toBeGreaterThan(50_000);
    expect(overlapMs).toBeLessThanOrEqual(60_000);

    const revoked = await boitata('keys', 'revoke', rotated.id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/Revoked key/);
    expect(revoked.stdout).not.toContain(rotated.key);
  });

  it('explains mistakes instead of failing obscurely', async () => {
    const noTenant = await boitata('connections', 'add', '--tenant', 'nobody-here', '--name', 'x');
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toMatch(/no tenant "nobody-here".*tenants add/);
    const badIp = await boitata('connections', 'add', '--tenant', tenant, '--name', 'y', '--allowed-ips', '10.0.0.300');
    expect(badIp.stderr).toMatch(/--allowed-ips: "10.0.0.300"/);
    const sourceWithoutId = await boitata('keys', 'add', '--tenant', tenant, '--kind', 'source');
    expect(sourceWithoutId.stderr).toMatch(/--source-id/);
    const unknown = await boitata('frobnicate');
    expect(unknown.code).toBe(2);
    const down = await run(process.execPath, ['bin/boitata.js', 'tenants', 'list'], {
      env: { ...process.env, DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/x' },
    }).catch((error: { stderr: string }) => error);
    expect((down as { stderr: string }).stderr).toMatch(/cannot use the database at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/x/);
  });

  it('lists dead letters and replays them into the queue', async () => {
    const {
      rows: [conn],
    } = await db.query<{ id: string }>('SELECT id FROM boitata_connections WHERE tenant_id = $1 LIMIT 1', [tenant]);
    const {
      rows: [queued],
    } = await db.query<{ id: string; message_id: string }>(
      `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope, status, attempts)
       VALUES (gen_random_uuid(), $1, $2, 'push', 'array', 't', '{}', 1, '{}', $2, 'dead', 3) RETURNING id::text, message_id::text`,
      [tenant, conn!.id],
    );
    await db.query(
      `INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts) VALUES ($1, $2, $3, 'malformed_message', 'the payload must be an array', 3)`,
      [queued!.id, queued!.message_id, tenant],
    );

    const listed = await boitata('dead-letters', 'list', '--tenant', tenant, '--json');
    const dead = JSON.parse(listed.stdout) as Array<{ id: string; message_id: string; reason: string }>;
    expect(dead.map((d) => [d.message_id, d.reason])).toEqual([[queued!.message_id, 'the payload must be an array']]);
    expect((await boitata('dead-letters', 'list', '--tenant', tenant)).stdout).toMatch(/malformed_message .*the payload must be an array/);

    expect((await boitata('dead-letters', 'replay', 'abc')).stderr).toMatch(/ids are whole numbers/);
    const replayed = await boitata('dead-letters', 'replay', dead[0]!.id);
    expect(replayed.stdout).toMatch(/Replayed 1 dead letter/);
    const {
      rows: [after],
    } = await db.query('SELECT status, attempts FROM boitata_inbound_queue WHERE id = $1', [queued!.id]);
    expect(after).toEqual({ status: 'pending', attempts: 1 });
    expect(JSON.parse((await boitata('dead-letters', 'list', '--tenant', tenant, '--json')).stdout)).toEqual([]);
    expect(JSON.parse((await boitata('dead-letters', 'list', '--tenant', tenant, '--all', '--json')).stdout)).toHaveLength(1);
    expect((await boitata('dead-letters', 'replay', dead[0]!.id)).stdout).toMatch(/Replayed 0/);
  });

  it("shows a table's columns with aliases and PII flags, lists aliases and removes one", async () => {
    await db.query(`INSERT INTO boitata_tables (tenant_id, table_name, warehouse_schema, warehouse_table) VALUES ($1, 'people', $2, 'people')`, [
      tenant,
      `tenant_${tenant}`,
    ]);
    await db.query(
      `INSERT INTO boitata_columns (tenant_id, table_name, logical_name, physical_name, data_type, added_in_version, pii, pii_source, description, tags)
       VALUES ($1, 'people', 'phone', 'phone', 'varchar', 1, true, 'name', 'Mobile number.', '{contact}'),
              ($1, 'people', 'age', 'age', 'bigint', 1, false, NULL, NULL, '{}')`,
      [tenant],
    );
    await db.query(
      `INSERT INTO boitata_aliases (tenant_id, table_name, alias, column_name, decided_by, evidence)
       VALUES ($1, 'people', 'phnoe', 'phone', 'typo', '{"distance":2}'), ($1, 'people', 'celular', 'phone', 'model', '{"model":"m","confidence":0.95}')`,
      [tenant],
    );

    const columns = JSON.parse((await boitata('columns', 'list', '--tenant', tenant, '--table', 'people', '--json')).stdout) as Array<Record<string, unknown>>;
    expect(columns.map((c) => [c['column'], c['type'], c['pii'], c['aliases'], c['description']])).toEqual([
      ['age', 'bigint', false, [], null],
      ['phone', 'varchar', true, ['celular', 'phnoe'], 'Mobile number.'],
    ]);
    expect((await boitata('columns', 'list', '--tenant', tenant, '--table', 'people')).stdout).toMatch(
      /phone\s+phone\s+varchar\s+yes \(name\)\s+celular,phnoe\s+contact\s+Mobile number\./,
    );
    expect((await boitata('columns', 'list', '--tenant', tenant, '--table', 'nope')).stderr).toMatch(/no table "nope"/);

    expect((await boitata('aliases', 'list', '--tenant', tenant)).stdout).toMatch(/people\s+celular\s+phone\s+model\s+\{"model":"m","confidence":0.95\}/);
    expect((await boitata('aliases', 'remove', '--tenant', tenant, '--table', 'people', 'phnoe')).stdout).toMatch(/Removed alias phnoe → phone/);
    expect((await boitata('aliases', 'remove', '--tenant', tenant, '--table', 'people', 'phnoe')).stderr).toMatch(/no alias "phnoe"/);
    const { rows } = await db.query(`SELECT schema_version FROM boitata_tables WHERE tenant_id = $1 AND table_name = 'people'`, [tenant]);
    expect(rows[0].schema_version).toBe(2);
  });
});
