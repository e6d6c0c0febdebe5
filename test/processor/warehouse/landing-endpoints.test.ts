// The other endpoints and the edges of landing, end to end: metrics and events, a hostile field name, tenants kept
// apart — the same tests on DuckDB and on Trino/Iceberg.
import { afterAll, expect, it } from 'vitest';
import { db, describeEachWarehouse, newConnection, newKey, post, push } from './support.ts';

afterAll(() => db.end());

describeEachWarehouse('landing: endpoints and tenants', (wh) => {
  const tableName = wh.table;
  const trinoQuery = wh.query;
  const testProcessor = wh.processor;

  it('lands metrics rows and events (envelope flattened, payload.* columns)', async () => {
    const conn = await newConnection();
    const metricsKey = await newKey(conn.tenant, 'metrics');
    const sourceKey = await newKey(conn.tenant, 'source', 'billing');
    await post(
      '/v1/ingest/metrics',
      {
        table: 'my_metrics',
        rows: [
          { date: '2026-06-12', metric_name: 'cpu_usage', value: 45.2, region: 'us-east' },
          { date: '2026-06-13', metric_name: 'cpu_usage', value: 50, region: 'us-east' },
        ],
      },
      { authorization: `Bearer ${metricsKey}` },
    );
    const eventResponse = await post(
      '/v1/events/ingest',
      {
        event_type: 'invoice.paid',
        source_id: 'billing',
        severity: 'info',
        timestamp: '2026-06-12T10:00:00Z',
        payload: { invoice: 'inv_1', amount: 12.5, customer: { country: 'BR' } },
      },
      { 'x-api-key': sourceKey },
    );
    const { event_id } = (await eventResponse.json()) as { event_id: string };
    await testProcessor([conn.tenant]).drain();

    expect(
      await trinoQuery(`SELECT CAST(date AS varchar) AS date, metric_name, value, region FROM ${tableName(conn.tenant, 'my_metrics')} ORDER BY date`),
    ).toEqual([
      { date: '2026-06-12', metric_name: 'cpu_usage', value: 45.2, region: 'us-east' },
      { date: '2026-06-13', metric_name: 'cpu_usage', value: 50, region: 'us-east' },
    ]);
    expect(
      await trinoQuery(
        `SELECT event_id, event_type, source_id, severity, ${wh.isoUtc('"timestamp"')} AS ts, payload__invoice, payload__amount, payload__customer__country, _boitata_endpoint
         FROM ${tableName(conn.tenant, 'events')}`,
      ),
    ).toEqual([
      {
        event_id,
        event_type: 'invoice.paid',
        source_id: 'billing',
        severity: 'info',
        ts: '2026-06-12T10:00:00.000000Z',
        payload__invoice: 'inv_1',
        payload__amount: 12.5,
        payload__customer__country: 'BR',
        _boitata_endpoint: 'event',
      },
    ]);
  });

  it('lands a hostile field name and value as a column and a value, and nothing else happens', async () => {
    const conn = await newConnection();
    await push(conn, [{ id: 1, 'a"; DROP TABLE x; --': "'); DROP TABLE hostile; --", "b'c": 'd\\e' }], 'hostile');
    await testProcessor([conn.tenant]).drain();

    const rows = await trinoQuery(`SELECT * FROM ${tableName(conn.tenant, 'hostile')}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 1, a___drop_table_x____: "'); DROP TABLE hostile; --", b_c: 'd\\e' });
    const { rows: registry } = await db.query(`SELECT logical_name FROM boitata_columns WHERE tenant_id = $1 ORDER BY 1`, [conn.tenant]);
    expect(registry.map((r) => r.logical_name)).toEqual(['a"; DROP TABLE x; --', "b'c", 'id']);
  });

  it("keeps tenants apart: the same table name lands in each tenant's own schema, and a processor only claims its tenants", async () => {
    const a = await newConnection();
    const b = await newConnection();
    await push(a, [{ secret: 'of-a' }], 'shared_name');
    await push(b, [{ secret: 'of-b' }, { secret: 'of-b-2' }], 'shared_name');
    await testProcessor([a.tenant]).drain();
    expect(await trinoQuery(`SELECT secret, _boitata_tenant_id FROM ${tableName(a.tenant, 'shared_name')}`)).toEqual([
      { secret: 'of-a', _boitata_tenant_id: a.tenant },
    ]);
    expect(await wh.schemaExists(b.tenant)).toBe(false); // b's messages were not claimed by a's processor
    await testProcessor([b.tenant]).drain();
    expect(await trinoQuery(`SELECT secret FROM ${tableName(b.tenant, 'shared_name')} ORDER BY secret`)).toEqual([{ secret: 'of-b' }, { secret: 'of-b-2' }]);
    expect(await trinoQuery(`SELECT secret FROM ${tableName(a.tenant, 'shared_name')}`)).toEqual([{ secret: 'of-a' }]);
  });
});
