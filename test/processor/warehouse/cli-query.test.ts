// `boitata query` runs the README's SQL as written (`tenant_demo.events`, no catalog) on both warehouses: on Trino the
// session catalog is TRINO_CATALOG, as DuckDB's file is its own catalog.
import { afterAll, expect, it } from 'vitest';
import { runQuery } from '../../../cli/query.ts';
import { db, describeEachWarehouse, duckDbFile, newConnection, push, SCHEMA_PREFIX, trinoUrl } from './support.ts';

afterAll(() => db.end());

describeEachWarehouse('boitata query', (wh) => {
  it('runs schema.table without a catalog, as the README shows it', async () => {
    const conn = await newConnection();
    await push(conn, [{ id: 1, name: 'Ana' }], 'events');
    await wh.processor([conn.tenant]).drain();
    const printed: unknown[] = [];
    const out = { json: true, print: (value: unknown) => void printed.push(value) };
    const env = wh.kind === 'trino' ? { TRINO_URL: trinoUrl } : { DUCKDB_PATH: duckDbFile };
    const code = await runQuery(`SELECT id, name FROM ${SCHEMA_PREFIX}${conn.tenant}.events`, out, { ...env, TRINO_SCHEMA_PREFIX: SCHEMA_PREFIX });
    expect(code).toBe(0);
    expect(printed).toEqual([[{ id: 1, name: 'Ana' }]]);
  });
});
