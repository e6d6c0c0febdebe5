// `boitata query` runs the README's SQL as written (`tenant_demo.events`, no catalog) on both warehouses: on Trino the
// session catalog is TRINO_CATALOG, as DuckDB's file is its own catalog. And `last_loaded_at`, which the status page
// shows, is the processor's to write.
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

describeEachWarehouse('last loaded', (wh) => {
  it('the processor records when a table last received rows (the status page showed "never" for every table)', async () => {
    const conn = await newConnection();
    const before = Date.now();
    await push(conn, [{ id: 1 }], 'loaded');
    await wh.processor([conn.tenant]).drain();
    const { rows } = await db.query<{ last_loaded_at: Date | null }>(
      `SELECT last_loaded_at FROM boitata_tables WHERE tenant_id = $1 AND table_name = 'loaded'`,
      [conn.tenant],
    );
    expect(rows[0]!.last_loaded_at).not.toBeNull();
    expect(rows[0]!.last_loaded_at!.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });
});
