// Table names starting with `_boitata_` are Boitatá's own (a table's quarantine): the real Worker refuses them with a
// 400 that says the prefix is reserved, wherever a sender names a table, and stores nothing.
import { describe, expect, it } from 'vitest';
import { RESERVED_TABLE_NAME_RULE } from '../../shared/table-name.ts';
import { createConnection, pushPath, queueRows, send } from './support.ts';

const RESERVED = '_boitata_quarantine_orders';

describe('reserved table names at the edge', () => {
  it('400 for ?table=, x-target-table, an envelope, a multi-table key and a webhook stream; nothing stored', async () => {
    const conn = await createConnection();
    const tenant = { 'x-tenant-id': conn.tenant };
    const attempts: Array<[string, Response, string]> = [
      ['?table=', await send(pushPath(conn.token, `?table=${RESERVED}`), { headers: tenant, json: [{ a: 1 }] }), 'table'],
      ['x-target-table', await send(pushPath(conn.token), { headers: { ...tenant, 'x-target-table': '_BOITATA_anything' }, json: [{ a: 1 }] }), 'table'],
      ['envelope', await send(pushPath(conn.token), { headers: tenant, json: { table: RESERVED, rows: [{ a: 1 }] } }), 'table'],
      ['multi-table key', await send(pushPath(conn.token), { headers: tenant, json: { orders: [{ a: 1 }], [RESERVED]: [{ a: 1 }] } }), RESERVED],
      ['webhook stream', await send(`/api/webhook/${RESERVED}`, { headers: { authorization: `Bearer ${conn.token}` }, json: { a: 1 } }), 'stream'],
    ];
    for (const [where, response, path] of attempts) {
      expect(response.status, where).toBe(400);
      const body = (await response.json()) as { error: { code: string; problems: Array<{ path: string; message: string }> } };
      expect(body.error.code, where).toBe('invalid_payload');
      expect(body.error.problems[0], where).toEqual({ path, message: RESERVED_TABLE_NAME_RULE });
    }
    expect(await queueRows(conn.tenant)).toEqual([]);
  });

  it('a name that only looks alike is an ordinary table', async () => {
    const conn = await createConnection();
    const response = await send(pushPath(conn.token, '?table=boitata_orders'), { headers: { 'x-tenant-id': conn.tenant }, json: [{ a: 1 }] });
    expect(response.status).toBe(202);
  });
});
