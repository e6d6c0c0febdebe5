// POST /api/webhook/{stream}: one object or an array with a Bearer ingest key; X-Item-Key is recorded for upserts.
import { describe, expect, it } from 'vitest';
import { createConnection, queueRows, send } from './support.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('webhook endpoint', () => {
  it('accepts a single object into the stream table, nested JSON kept for flattening', async () => {
    const conn = await createConnection();
    const item = { location: { city: 'London', country: 'UK' }, metrics: { footfall: 1250, dwell_time: 3.5 } };
    const response = await send('/api/webhook/footfall', { headers: bearer(conn.token), json: item });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'queued', tables: [{ table: 'footfall', rows: 1 }], rows: 1 });
    expect((await queueRows(conn.tenant))[0]).toMatchObject({
      endpoint: 'webhook',
      payload_format: 'object',
      target_table: 'footfall',
      item_key: null,
      payload: item,
    });
  });

  it('accepts an array and records X-Item-Key with the message', async () => {
    const conn = await createConnection();
    const items = [
      { region: 'North', sales: 142000, target: 130000 },
      { region: 'South', sales: 98000, target: 110000 },
      { region: 'East', sales: 156000, target: 140000 },
    ];
    const response = await send('/api/webhook/sales', { headers: { ...bearer(conn.token), 'x-item-key': 'region' }, json: items });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ tables: [{ table: 'sales', rows: 3 }] });
    expect((await queueRows(conn.tenant))[0]).toMatchObject({ payload_format: 'array', item_key: 'region', row_count: 3 });
  });

  it('accepts stream names with hyphens, as senders use them', async () => {
    const conn = await createConnection();
    const response = await send('/api/webhook/app-metrics', { headers: bearer(conn.token), json: { active_users: 1250 } });
    expect(response.status).toBe(202);
    expect((await queueRows(conn.tenant))[0]).toMatchObject({ target_table: 'app-metrics' });
  });

  it('400 naming each row that lacks the X-Item-Key field', async () => {
    const conn = await createConnection();
    const response = await send('/api/webhook/sales', {
      headers: { ...bearer(conn.token), 'x-item-key': 'region' },
      json: [{ region: 'North' }, { sales: 1 }, { region: null }],
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { problems: Array<{ path: string }> } };
    expect(error.problems.map((p) => p.path)).toEqual(['[1].region', '[2].region']);
    expect(await queueRows(conn.tenant)).toHaveLength(0);
  });

  it('400 for a scalar body and for an invalid stream name', async () => {
    const conn = await createConnection();
    const scalar = await send('/api/webhook/sales', { headers: bearer(conn.token), json: 'hello' });
    expect(scalar.status).toBe(400);
    const badStream = await send('/api/webhook/bad%20stream', { headers: bearer(conn.token), json: { a: 1 } });
    expect(badStream.status).toBe(400);
    expect(((await badStream.json()) as { error: { problems: Array<{ path: string }> } }).error.problems[0]?.path).toBe('stream');
  });

  it('401 without the Bearer ingest key, or with another kind of key', async () => {
    const conn = await createConnection();
    expect((await send('/api/webhook/sales', { json: { a: 1 } })).status).toBe(401);
    expect((await send('/api/webhook/sales', { headers: { authorization: `Basic ${conn.token}` }, json: { a: 1 } })).status).toBe(401);
    const metricsShaped = conn.token.replace('bt_ik_', 'bt_mk_');
    expect((await send('/api/webhook/sales', { headers: bearer(metricsShaped), json: { a: 1 } })).status).toBe(401);
  });
});
