// POST /v1/ingest/push: every payload format lands as one queue row; ambiguous or empty bodies get a 400 that says why.
import { describe, expect, it } from 'vitest';
import { createConnection, pushPath, queueRows, send, type ConnectionFixture } from './support.ts';

const push = (conn: ConnectionFixture, json: unknown, query = '', headers: Record<string, string> = {}) =>
  send(pushPath(conn.token, query), { headers: { 'x-tenant-id': conn.tenant, ...headers }, json });

describe('push endpoint: payload formats', () => {
  it('accepts a flat array with ?table= and stores it before answering 202', async () => {
    const conn = await createConnection();
    const rows = [
      { id: 1, phone: '11999999999', new_col_x: 'value' },
      { id: 2, phone: '11988888888', new_col_x: 'other' },
    ];
    const response = await push(conn, rows, '?table=contacts');
    expect(response.status).toBe(202);
    const receipt = (await response.json()) as Record<string, unknown>;
    expect(receipt).toMatchObject({ status: 'queued', tables: [{ table: 'contacts', rows: 2 }], rows: 2 });

    const stored = await queueRows(conn.tenant);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      message_id: receipt['message_id'],
      endpoint: 'push',
      payload_format: 'array',
      target_table: 'contacts',
      payload: rows,
      row_count: 2,
      receipt,
      status: 'pending',
      connection_id: conn.id,
    });
  });

  it('takes the flat array table from x-target-table', async () => {
    const conn = await createConnection();
    const response = await push(conn, [{ id: 1 }], '', { 'x-target-table': 'leads' });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ tables: [{ table: 'leads', rows: 1 }] });
    expect((await queueRows(conn.tenant))[0]).toMatchObject({ payload_format: 'array', target_table: 'leads' });
  });

  it('accepts an envelope {table, rows}', async () => {
    const conn = await createConnection();
    const body = { table: 'users_logs', rows: [{ id: 1, email: 'test@example.com', action: 'login' }] };
    const response = await push(conn, body);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ tables: [{ table: 'users_logs', rows: 1 }], rows: 1 });
    expect((await queueRows(conn.tenant))[0]).toMatchObject({ payload_format: 'envelope', target_table: 'users_logs', payload: body });
  });

  it('accepts a multi-table object and counts rows per table in one message', async () => {
    const conn = await createConnection();
    const body = {
      test_tbl_orders: [{ order_id: 101, total: 150.5, status: 'completed' }],
      test_tbl_users: [
        { user_id: 1, phone: '11999999999', name: 'John Doe' },
        { user_id: 2, phone: '11988888888', name: 'Jane Doe' },
      ],
    };
    const response = await push(conn, body);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      tables: [
        { table: 'test_tbl_orders', rows: 1 },
        { table: 'test_tbl_users', rows: 2 },
      ],
      rows: 3,
    });
    const stored = await queueRows(conn.tenant);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ payload_format: 'multi_table', target_table: null, row_count: 3, payload: body });
  });

  it('accepts a single object with an explicit table, even when its values are arrays', async () => {
    const conn = await createConnection();
    const response = await push(conn, { id: 7, tags: ['a', 'b'] }, '?table=items');
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ tables: [{ table: 'items', rows: 1 }] });
    expect((await queueRows(conn.tenant))[0]).toMatchObject({ payload_format: 'object', target_table: 'items' });
  });

  it("falls back to the connection's default table", async () => {
    const conn = await createConnection({ table: 'crm_contacts' });
    expect((await push(conn, [{ id: 1 }])).status).toBe(202);
    expect((await push(conn, { id: 2, name: 'x' })).status).toBe(202);
    const stored = await queueRows(conn.tenant);
    expect(stored.map((row) => [row['payload_format'], row['target_table']])).toEqual([
      ['array', 'crm_contacts'],
      ['object', 'crm_contacts'],
    ]);
  });
});

describe('push endpoint: refused bodies say why', () => {
  const cases: Array<{ name: string; body: unknown; query?: string; headers?: Record<string, string>; code: string; mentions: RegExp }> = [
    { name: 'a flat array without a table', body: [{ id: 1 }], code: 'ambiguous_payload', mentions: /\?table=/ },
    { name: 'an object that is neither envelope nor multi-table', body: { id: 1, tags: [] }, code: 'ambiguous_payload', mentions: /envelope/ },
    { name: 'an empty object', body: {}, code: 'empty_payload', mentions: /empty/ },
    { name: 'an empty array', body: [], query: '?table=t', code: 'empty_payload', mentions: /no rows/ },
    { name: 'a multi-table object with an empty table', body: { a: [{ x: 1 }], b: [] }, code: 'empty_payload', mentions: /no rows/ },
    { name: 'rows that are not objects', body: [{ id: 1 }, 2, 'x'], query: '?table=t', code: 'invalid_payload', mentions: /object/ },
    { name: 'a scalar body', body: 42, query: '?table=t', code: 'invalid_payload', mentions: /object/ },
    { name: 'an invalid table name', body: [{ id: 1 }], query: '?table=drop%20table', code: 'invalid_payload', mentions: /table name/ },
    { name: 'an envelope with extra fields', body: { table: 't', rows: [{ a: 1 }], extra: 1 }, code: 'ambiguous_payload', mentions: /only/ },
    {
      name: 'an envelope naming another table than ?table=',
      body: { table: 'a', rows: [{ a: 1 }] },
      query: '?table=b',
      code: 'ambiguous_payload',
      mentions: /"a".*"b"/,
    },
    {
      name: '?table= and x-target-table disagreeing',
      body: [{ a: 1 }],
      query: '?table=a',
      headers: { 'x-target-table': 'b' },
      code: 'ambiguous_payload',
      mentions: /disagree/,
    },
    { name: 'a multi-table key that is not a table name', body: { 'bad name!': [{ a: 1 }] }, code: 'invalid_payload', mentions: /table names/ },
  ];

  for (const testCase of cases) {
    it(`400 for ${testCase.name}, and nothing is queued`, async () => {
      const conn = await createConnection();
      const response = await push(conn, testCase.body, testCase.query ?? '', testCase.headers ?? {});
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { code: string; message: string; problems?: unknown[] } };
      expect(error.code).toBe(testCase.code);
      expect(`${error.message} ${JSON.stringify(error.problems ?? [])}`).toMatch(testCase.mentions);
      expect(await queueRows(conn.tenant)).toHaveLength(0);
    });
  }

  it('names the path of every bad row', async () => {
    const conn = await createConnection();
    const response = await push(conn, { orders: [{ id: 1 }, [1, 2]], users: ['x'] });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { problems: Array<{ path: string }> } };
    expect(error.problems.map((p) => p.path)).toEqual(['orders[1]']);
  });
});
