// `boitata plan` as an operator runs it, against the real database and a DuckDB warehouse: the plan as text and as
// JSON, nothing written (no catalog row, no DuckDB file), personal data never in plaintext, and exit code 2 with what
// to fix for a missing or unreadable file, invalid JSON, an unknown tenant, a table name the edge would refuse.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addTenant } from '../../cli/tenants.ts';
import { runBoitata, type CliResult } from './run-boitata.ts';

const databaseUrl = inject('databaseUrl');
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const tenant = `plan-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
let dir = '';

async function boitata(args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    DUCKDB_PATH: join(dir, 'warehouse.duckdb'),
    PII_HASH_KEY: 'plan-cli-test-key-0123456789',
  };
  for (const name of ['TRINO_URL', 'AI_MODEL', 'PII_HASH_MODE']) delete env[name];
  return runBoitata(args, env);
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boitata-plan-'));
  await addTenant(db, { id: tenant });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await db.end();
});

describe('boitata plan', () => {
  it('prints the plan of a new table, as text and JSON, and writes nothing', async () => {
    const payload = await file('orders.json', JSON.stringify([{ id: 1, email: 'ana@example.com', total: 9.5 }]));
    const text = await boitata(['plan', '--tenant', tenant, '--table', 'orders', payload]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Plan for ${tenant}.orders: 1 row (array payload). A dry run: nothing was written.`);
    expect(text.stdout).toContain('email  varchar  PII (by its name): values hashed');
    expect(text.stdout).toContain('total  double');
    expect(text.stdout).not.toContain('ana@example.com');

    const json = await boitata(['plan', '--json', '--tenant', tenant, '--table', 'orders', payload]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { table_registered: boolean; plan: { warehouse: Array<{ kind: string }>; columns: Array<{ logical: string }> } };
    expect(report.table_registered).toBe(false);
    expect(report.plan.warehouse[0]!.kind).toBe('create_table');
    expect(report.plan.columns.map((c) => c.logical)).toEqual(['email', 'id', 'total']);

    const { rows } = await db.query('SELECT 1 FROM boitata_tables WHERE tenant_id = $1 UNION ALL SELECT 1 FROM boitata_schema_versions WHERE tenant_id = $1', [
      tenant,
    ]);
    expect(rows).toEqual([]);
    expect(existsSync(join(dir, 'warehouse.duckdb'))).toBe(false);
  });

  it('refuses what it cannot plan with exit code 2 and what to fix', async () => {
    const good = await file('good.json', '[{"a": 1}]');
    const cases: Array<[string[], RegExp]> = [
      [['plan', '--tenant', tenant, '--table', 'orders', join(dir, 'missing.json')], /cannot read the payload file .*missing\.json \(ENOENT\)/],
      [['plan', '--tenant', tenant, '--table', 'orders', dir], /cannot read the payload file/],
      [['plan', '--tenant', tenant, '--table', 'orders', await file('bad.json', '[{"a": 1},')], /is not valid JSON/],
      [['plan', '--tenant', 'no-such-tenant', '--table', 'orders', good], /no tenant "no-such-tenant"/],
      [['plan', '--tenant', tenant, '--table', 'bad table!', good], /the edge would refuse this payload: Invalid table name "bad table!"/],
      [['plan', '--tenant', tenant, '--table', 'orders', await file('empty.json', '[]')], /There are no rows to ingest/],
      [['plan', '--table', 'orders', good], /--tenant is required/],
      [['plan', '--tenant', tenant, '--table', 'orders'], /plan takes one payload file/],
    ];
    for (const [args, message] of cases) {
      const result = await boitata(args);
      expect([result.code, result.stderr], args.join(' ')).toEqual([2, expect.stringMatching(message)]);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
