// Each payload format end to end: push through the Worker, let the processor run, read the rows back from the
// warehouse — the same tests on DuckDB and on Trino/Iceberg.
import { afterAll, expect, it } from 'vitest';
import { db, describeEachWarehouse, newConnection, piiHash, push, webhook } from './support.ts';

afterAll(() => db.end());

describeEachWarehouse('landing', (wh) => {
  const tableName = wh.table;
  const trinoQuery = wh.query;
  const testProcessor = wh.processor;
  const columnTypes = wh.columnTypes;

  it('lands a flat array with every inferred type, one column per field', async () => {
    const conn = await newConnection();
    await push(
      conn,
      [
        { id: 1, name: 'Ana', score: 9.5, active: true, born: '1990-02-28', seen_at: '2026-06-12T10:00:00.123456Z', tags: ['a', 'b'] },
        { id: 2, name: "O'Brien", score: 7, active: false, born: '1985-12-01', seen_at: '2026-06-12T12:30:00+02:00', tags: [] },
      ],
      'contacts',
    );
    await testProcessor([conn.tenant]).drain();

    expect(await columnTypes(conn.tenant, 'contacts')).toMatchObject({
      id: 'bigint',
      name: 'varchar',
      score: 'double',
      active: 'boolean',
      born: 'date',
      seen_at: 'timestamp(6) with time zone',
      tags: 'varchar',
      _boitata_message_id: 'varchar',
      _boitata_row_id: 'integer',
      _boitata_received_at: 'timestamp(6) with time zone',
      _boitata_rescue: 'varchar',
    });
    const rows = await trinoQuery(
      `SELECT id, name, score, active, CAST(born AS varchar) AS born, ${wh.isoUtc('seen_at')} AS seen_at, tags,
              _boitata_tenant_id, _boitata_endpoint, _boitata_rescue FROM ${tableName(conn.tenant, 'contacts')} ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        id: 1,
        name: 'Ana',
        score: 9.5,
        active: true,
        born: '1990-02-28',
        seen_at: '2026-06-12T10:00:00.123456Z',
        tags: '["a","b"]',
        _boitata_tenant_id: conn.tenant,
        _boitata_endpoint: 'push',
        _boitata_rescue: null,
      },
      {
        id: 2,
        name: "O'Brien",
        score: 7,
        active: false,
        born: '1985-12-01',
        seen_at: '2026-06-12T10:30:00.000000Z',
        tags: '[]',
        _boitata_tenant_id: conn.tenant,
        _boitata_endpoint: 'push',
        _boitata_rescue: null,
      },
    ]);
  });

  it('flattens nested objects with dot notation: a safe physical column, the logical name in the registry', async () => {
    const conn = await newConnection();
    await push(conn, { table: 'Users_Logs', rows: [{ id: 1, location: { city: 'Recife', geo: { lat: -8.05 } }, 'Weird Name!': 'x', prefs: {} }] });
    await testProcessor([conn.tenant]).drain();

    const rows = await trinoQuery(`SELECT id, location__city, location__geo__lat, weird_name_, prefs FROM ${tableName(conn.tenant, 'users_logs')}`);
    expect(rows).toEqual([{ id: 1, location__city: 'Recife', location__geo__lat: -8.05, weird_name_: 'x', prefs: '{}' }]);
    const { rows: registry } = await db.query(
      `SELECT logical_name, physical_name, data_type FROM boitata_columns WHERE tenant_id = $1 AND table_name = 'users_logs' ORDER BY logical_name`,
      [conn.tenant],
    );
    expect(registry).toEqual([
      { logical_name: 'Weird Name!', physical_name: 'weird_name_', data_type: 'varchar' },
      { logical_name: 'id', physical_name: 'id', data_type: 'bigint' },
      { logical_name: 'location.city', physical_name: 'location__city', data_type: 'varchar' },
      { logical_name: 'location.geo.lat', physical_name: 'location__geo__lat', data_type: 'double' },
      { logical_name: 'prefs', physical_name: 'prefs', data_type: 'varchar' },
    ]);
  });

  it('auto-bootstraps every table of a multi-table push, and lands a single object with x-target-table', async () => {
    const conn = await newConnection();
    await push(conn, {
      test_tbl_orders: [
        { order_id: 101, total: 150.5, status: 'completed' },
        { order_id: 102, total: 99.9, status: 'open' },
      ],
      test_tbl_users: [{ user_id: 1, phone: '11999999999', name: 'John Doe' }],
      test_tbl_events: [{ kind: 'signup' }],
    });
    await push(conn, { order_id: 103, total: 10, status: 'open' }, undefined, { 'x-target-table': 'test_tbl_orders' });
    await testProcessor([conn.tenant]).drain();

    expect(await wh.tables(conn.tenant)).toEqual(['test_tbl_events', 'test_tbl_orders', 'test_tbl_users']);
    expect(await trinoQuery(`SELECT order_id, total, status FROM ${tableName(conn.tenant, 'test_tbl_orders')} ORDER BY order_id`)).toEqual([
      { order_id: 101, total: 150.5, status: 'completed' },
      { order_id: 102, total: 99.9, status: 'open' },
      { order_id: 103, total: 10, status: 'open' },
    ]);
    // `phone` is personal data by its name: only its per-tenant HMAC lands.
    expect(await trinoQuery(`SELECT user_id, phone, name FROM ${tableName(conn.tenant, 'test_tbl_users')}`)).toEqual([
      { user_id: 1, phone: piiHash(conn.tenant, '11999999999'), name: 'John Doe' },
    ]);
    const { rows } = await db.query(`SELECT table_name, schema_version FROM boitata_tables WHERE tenant_id = $1 ORDER BY 1`, [conn.tenant]);
    expect(rows).toEqual([
      { table_name: 'test_tbl_events', schema_version: 1 },
      { table_name: 'test_tbl_orders', schema_version: 1 },
      { table_name: 'test_tbl_users', schema_version: 1 },
    ]);
    // What each message landed, table by table, as its sender is shown it (GET /v1/ingest/messages/{id}).
    const landed = await db.query(`SELECT landed, processed_at IS NOT NULL AS acked FROM boitata_inbound_queue WHERE tenant_id = $1 ORDER BY id`, [
      conn.tenant,
    ]);
    expect(landed.rows).toEqual([
      {
        landed: [
          { table: 'test_tbl_events', rows: 1 },
          { table: 'test_tbl_orders', rows: 2 },
          { table: 'test_tbl_users', rows: 1 },
        ],
        acked: true,
      },
      { landed: [{ table: 'test_tbl_orders', rows: 1 }], acked: true },
    ]);
  });

  it('adds a column for a new field (ALTER TABLE ADD COLUMN) and records the schema version', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant]);
    await push(conn, [{ id: 1, phone: '1199' }], 'people');
    await processor.drain();
    await push(conn, [{ id: 2, phone: '1188', birth_place: 'Olinda', vip: true }], 'people');
    await processor.drain();

    expect(await trinoQuery(`SELECT id, phone, birth_place, vip FROM ${tableName(conn.tenant, 'people')} ORDER BY id`)).toEqual([
      { id: 1, phone: piiHash(conn.tenant, '1199'), birth_place: null, vip: null },
      { id: 2, phone: piiHash(conn.tenant, '1188'), birth_place: 'Olinda', vip: true },
    ]);
    const { rows } = await db.query(`SELECT version, changes FROM boitata_schema_versions WHERE tenant_id = $1 AND table_name = 'people' ORDER BY version`, [
      conn.tenant,
    ]);
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(rows[1].changes).toEqual([
      { kind: 'add_column', logical: 'birth_place', physical: 'birth_place', type: 'varchar' },
      { kind: 'add_column', logical: 'vip', physical: 'vip', type: 'boolean' },
    ]);
  });

  it('keeps a value that conflicts with its column in the rescue column, with the reason, and lands the row', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant]);
    await push(conn, [{ id: 1, age: 30, joined: '2026-01-02' }], 'members');
    await processor.drain();
    await push(
      conn,
      [
        { id: 2, age: 'unknown', joined: 'last week' },
        { id: 3, age: 41.5, joined: '2026-02-03' },
      ],
      'members',
    );
    await processor.drain();

    const rows = await trinoQuery(`SELECT id, age, CAST(joined AS varchar) AS joined, _boitata_rescue FROM ${tableName(conn.tenant, 'members')} ORDER BY id`);
    expect(rows.map((r) => [r['id'], r['age'], r['joined']])).toEqual([
      [1, 30, '2026-01-02'],
      [2, null, null],
      [3, null, '2026-02-03'],
    ]);
    expect(rows[0]!['_boitata_rescue']).toBeNull();
    expect(JSON.parse(String(rows[1]!['_boitata_rescue']))).toEqual({
      age: { value: 'unknown', reason: 'column is bigint, value is text' },
      joined: { value: 'last week', reason: 'column is date, value is text' },
    });
    expect(JSON.parse(String(rows[2]!['_boitata_rescue']))).toEqual({
      age: { value: 41.5, reason: 'column is bigint, value is a fractional number' },
    });
  });

  it('widens a column where Iceberg allows it (integer → bigint) in a table created outside Boitatá', async () => {
    const conn = await newConnection();
    await trinoQuery(`CREATE SCHEMA ${wh.schema(conn.tenant)}`);
    await trinoQuery(`CREATE TABLE ${tableName(conn.tenant, 'legacy')} (id integer, label varchar)`);
    await trinoQuery(`INSERT INTO ${tableName(conn.tenant, 'legacy')} VALUES (1, 'old')`);
    await push(
      conn,
      [
        { id: 2, label: 'small' },
        { id: 1_099_511_627_776, label: 'big' },
      ],
      'legacy',
    );
    await testProcessor([conn.tenant]).drain();

    expect((await columnTypes(conn.tenant, 'legacy'))['id']).toBe('bigint');
    expect(await trinoQuery(`SELECT id, label, _boitata_rescue FROM ${tableName(conn.tenant, 'legacy')} ORDER BY id`)).toEqual([
      { id: 1, label: 'old', _boitata_rescue: null },
      { id: 2, label: 'small', _boitata_rescue: null },
      { id: 1_099_511_627_776, label: 'big', _boitata_rescue: null },
    ]);
    const { rows } = await db.query(`SELECT logical_name, data_type, origin FROM boitata_columns WHERE tenant_id = $1 ORDER BY 1`, [conn.tenant]);
    expect(rows).toEqual([
      { logical_name: 'id', data_type: 'bigint', origin: 'adopted' },
      { logical_name: 'label', data_type: 'varchar', origin: 'adopted' },
    ]);
  });

  it('upserts webhook items by X-Item-Key: the last write wins, in a batch and across batches', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant]);
    await webhook(conn, 'sales', { region: 'North', sales: 100 }, { 'x-item-key': 'region' });
    await webhook(
      conn,
      'sales',
      [
        { region: 'North', sales: 200 },
        { region: 'South', sales: 50 },
      ],
      { 'x-item-key': 'region' },
    );
    await webhook(conn, 'sales', { region: 'North', sales: 300, manager: 'Ana' }, { 'x-item-key': 'region' });
    await processor.drain();
    expect(await trinoQuery(`SELECT region, sales, manager FROM ${tableName(conn.tenant, 'sales')} ORDER BY region`)).toEqual([
      { region: 'North', sales: 300, manager: 'Ana' },
      { region: 'South', sales: 50, manager: null },
    ]);
    await webhook(conn, 'sales', { region: 'South', sales: 75 }, { 'x-item-key': 'region' });
    await webhook(conn, 'sales', { region: 'East', sales: 1 }); // no key: a plain insert
    await processor.drain();
    expect(await trinoQuery(`SELECT region, sales FROM ${tableName(conn.tenant, 'sales')} ORDER BY region`)).toEqual([
      { region: 'East', sales: 1 },
      { region: 'North', sales: 300 },
      { region: 'South', sales: 75 },
    ]);
  });

  it('dead-letters an upsert whose key value does not fit the key column, instead of inserting it again on every delivery', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant]);
    await webhook(conn, 'devices', { device: 7, state: 'on' }, { 'x-item-key': 'device' });
    await processor.drain();
    await webhook(conn, 'devices', { device: 'A-7', state: 'off' }, { 'x-item-key': 'device' });
    await webhook(conn, 'devices', { device: 7, state: 'off' }, { 'x-item-key': 'device' });
    await processor.drain();
    expect(await trinoQuery(`SELECT device, state FROM ${tableName(conn.tenant, 'devices')}`)).toEqual([{ device: 7, state: 'off' }]);
    const { rows } = await db.query(`SELECT error_code, reason FROM boitata_dead_letters WHERE tenant_id = $1`, [conn.tenant]);
    expect(rows).toEqual([
      {
        error_code: 'item_key_unusable',
        reason: 'devices: The X-Item-Key field "device" of row 0 does not fit the key column (bigint); its value is "A-7".',
      },
    ]);
  });
});
