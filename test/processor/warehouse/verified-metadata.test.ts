// What the credential proved, end to end: `_boitata_credential` and `_boitata_source_id` come from the edge's
// verdict on the credential, never from the payload — through the real Worker and a real processor, on both warehouses.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { addApiKey } from '../../../cli/api-keys.ts';
import { addConnection } from '../../../cli/connections.ts';
import { db, describeEachWarehouse, newTenant, post, push, webhook } from './support.ts';

afterAll(() => db.end());

/** A row that claims a source and tries to write the reserved columns itself. */
const FORGED = { source_id: 'src_a', _boitata_source_id: 'src_a', _boitata_credential: 'x' };

async function credentials() {
  const tenant = await newTenant();
  const { connection, token } = await addConnection(db, { tenant, name: `c-${randomUUID().slice(0, 8)}` });
  const metrics = await addApiKey(db, { tenant, kind: 'metrics' });
  const source = await addApiKey(db, { tenant, kind: 'source', sourceId: 'src_a' });
  return { tenant, conn: { tenant, token }, connectionId: connection.id, metrics, source };
}

describeEachWarehouse('verified metadata', (wh) => {
  it('records the credential the edge verified; a forged source_id or _boitata_* field fills only its own column', async () => {
    const { tenant, conn, connectionId, metrics, source } = await credentials();
    await push(conn, [{ id: 1, ...FORGED }], 'events');
    await post(
      '/v1/ingest/metrics',
      {
        table: 'events',
        rows: [{ date: '2026-06-12', metric_name: 'forged', value: 1, ...FORGED }],
      },
      { authorization: `Bearer ${metrics.secret}` },
    );
    await post(
      '/v1/events/ingest',
      {
        event_id: 'evt_genuine',
        event_type: 'invoice.paid',
        source_id: 'src_a',
        payload: { _boitata_source_id: 'src_b' },
      },
      { 'x-api-key': source.secret },
    );
    await wh.processor([tenant]).drain();

    const rows = await wh.query(
      `SELECT _boitata_endpoint, source_id, f_boitata_source_id, f_boitata_credential, payload___boitata_source_id,
              _boitata_credential, _boitata_source_id
         FROM ${wh.table(tenant, 'events')} ORDER BY _boitata_endpoint`,
    );
    expect(rows).toEqual([
      {
        _boitata_endpoint: 'event',
        source_id: 'src_a',
        f_boitata_source_id: null,
        f_boitata_credential: null,
        payload___boitata_source_id: 'src_b',
        _boitata_credential: `api_key:${source.key.id}`,
        _boitata_source_id: 'src_a',
      },
      {
        _boitata_endpoint: 'metrics',
        source_id: 'src_a',
        f_boitata_source_id: 'src_a',
        f_boitata_credential: 'x',
        payload___boitata_source_id: null,
        _boitata_credential: `api_key:${metrics.key.id}`,
        _boitata_source_id: null,
      },
      {
        _boitata_endpoint: 'push',
        source_id: 'src_a',
        f_boitata_source_id: 'src_a',
        f_boitata_credential: 'x',
        payload___boitata_source_id: null,
        _boitata_credential: `connection:${connectionId}`,
        _boitata_source_id: null,
      },
    ]);
    // What the README tells analysts to filter on: only the event the source key proved.
    expect(await wh.query(`SELECT event_id FROM ${wh.table(tenant, 'events')} WHERE _boitata_source_id = 'src_a'`)).toEqual([{ event_id: 'evt_genuine' }]);
  });

  it("records the credential on an upsert, and the latest write's credential replaces the earlier one", async () => {
    const { tenant, conn, connectionId } = await credentials();
    const other = await addConnection(db, { tenant, name: `c-${randomUUID().slice(0, 8)}` });
    const processor = wh.processor([tenant]);
    await webhook(conn, 'devices', { device: 7, state: 'on', _boitata_credential: 'x' }, { 'x-item-key': 'device' });
    await processor.drain();
    const read = () => wh.query(`SELECT device, state, f_boitata_credential, _boitata_credential, _boitata_source_id FROM ${wh.table(tenant, 'devices')}`);
    expect(await read()).toEqual([
      { device: 7, state: 'on', f_boitata_credential: 'x', _boitata_credential: `connection:${connectionId}`, _boitata_source_id: null },
    ]);
    await webhook({ token: other.token }, 'devices', { device: 7, state: 'off' }, { 'x-item-key': 'device' });
    await processor.drain();
    expect(await read()).toEqual([
      { device: 7, state: 'off', f_boitata_credential: null, _boitata_credential: `connection:${other.connection.id}`, _boitata_source_id: null },
    ]);
  });

  it('adds the credential columns to a table that landed before they existed, the first time a processor touches it', async () => {
    const { tenant, conn, connectionId } = await credentials();
    await push(conn, [{ id: 1 }], 'older');
    await wh.processor([tenant]).drain();
    // The table as an older Boitatá left it. Queued behind a port call: DuckDB's `query` then runs read-write.
    const operator = wh.create();
    const ref = operator.tableRef(tenant, 'older');
    for (const column of ['_boitata_credential', '_boitata_source_id']) {
      await Promise.all([operator.ensureSchema(ref), operator.query(`ALTER TABLE ${wh.table(tenant, 'older')} DROP COLUMN ${column}`)]);
    }
    await operator.close();
    expect(Object.keys(await wh.columnTypes(tenant, 'older'))).not.toContain('_boitata_credential');

    await push(conn, [{ id: 2 }], 'older');
    await wh.processor([tenant]).drain(); // a new processor: what runs after an upgrade
    expect(await wh.query(`SELECT id, _boitata_credential, _boitata_source_id FROM ${wh.table(tenant, 'older')} ORDER BY id`)).toEqual([
      { id: 1, _boitata_credential: null, _boitata_source_id: null },
      { id: 2, _boitata_credential: `connection:${connectionId}`, _boitata_source_id: null },
    ]);
  });
});
