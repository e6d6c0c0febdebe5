// The per-message caps and the empty-row rule on every endpoint that takes rows: 400 naming the cap, nothing stored.
import { describe, expect, it } from 'vitest';
import { MAX_FIELDS_PER_ROW, MAX_ROWS_PER_MESSAGE, MAX_TABLES_PER_MESSAGE } from '../../shared/ingest-limits.ts';
import { createConnection, createKey, pushPath, queueRows, send, type ConnectionFixture } from './support.ts';

interface ErrorBody {
  error: { code: string; message: string; problems?: Array<{ path: string; message: string }> };
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));
const wideRow = (fields: number, extra: Record<string, unknown> = {}) => ({
  ...extra,
  ...Object.fromEntries(Array.from({ length: fields - Object.keys(extra).length }, (_, i) => [`f${i}`, i])),
});
const tables = (n: number, rowsEach: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, rows(rowsEach)]));

const push = (conn: ConnectionFixture, body: unknown, query = '') => send(pushPath(conn.token, query), { headers: { 'x-tenant-id': conn.tenant }, json: body });
const webhook = (conn: ConnectionFixture, body: unknown) => send('/api/webhook/stream_t', { headers: { authorization: `Bearer ${conn.token}` }, json: body });

async function expectRefused(response: Response, code: string, paths: string[]): Promise<ErrorBody['error']> {
  const { error } = (await response.json()) as ErrorBody;
  expect({ status: response.status, code: error.code, paths: error.problems?.map((p) => p.path) }).toEqual({ status: 400, code, paths });
  return error;
}

describe('caps at their limit are accepted', () => {
  const rowCounts = async (conn: ConnectionFixture) => (await queueRows(conn.tenant)).map((row) => row['row_count']);

  it(`${MAX_ROWS_PER_MESSAGE} rows in a flat array, and over ${MAX_TABLES_PER_MESSAGE} tables`, async () => {
    const conn = await createConnection();
    expect((await push(conn, rows(MAX_ROWS_PER_MESSAGE), '?table=t')).status).toBe(202);
    expect((await push(conn, tables(MAX_TABLES_PER_MESSAGE, MAX_ROWS_PER_MESSAGE / MAX_TABLES_PER_MESSAGE))).status).toBe(202);
    expect(await rowCounts(conn)).toEqual([MAX_ROWS_PER_MESSAGE, MAX_ROWS_PER_MESSAGE]);
  });

  it(`a row of ${MAX_FIELDS_PER_ROW} fields, nested ones counted once flattened`, async () => {
    const conn = await createConnection();
    expect((await push(conn, [wideRow(MAX_FIELDS_PER_ROW, { nested: { a: 1 }, tags: [1, 2] })], '?table=t')).status).toBe(202);
    expect((await webhook(conn, wideRow(MAX_FIELDS_PER_ROW))).status).toBe(202);
    expect(await rowCounts(conn)).toEqual([1, 1]);
  });

  it(`${MAX_ROWS_PER_MESSAGE} rows on the webhook`, async () => {
    const conn = await createConnection();
    expect((await webhook(conn, rows(MAX_ROWS_PER_MESSAGE))).status).toBe(202);
    expect(await rowCounts(conn)).toEqual([MAX_ROWS_PER_MESSAGE]);
  });
});

describe('push', () => {
  it('too_many_rows for 10,001 rows, all tables of a multi-table push counted', async () => {
    const conn = await createConnection();
    const error = await expectRefused(await push(conn, rows(MAX_ROWS_PER_MESSAGE + 1), '?table=t'), 'too_many_rows', ['$']);
    expect(error.message).toMatch(/at most 10,000 rows.*has 10,001/);
    await expectRefused(await push(conn, { table: 't', rows: rows(MAX_ROWS_PER_MESSAGE + 1) }), 'too_many_rows', ['rows']);
    await expectRefused(await push(conn, { a: rows(6_000), b: rows(4_001) }), 'too_many_rows', ['a', 'b']);
    expect(await queueRows(conn.tenant)).toHaveLength(0);
  });

  it('too_many_tables for a multi-table push naming 21 tables', async () => {
    const conn = await createConnection();
    const error = await expectRefused(await push(conn, tables(MAX_TABLES_PER_MESSAGE + 1, 1)), 'too_many_tables', ['$']);
    expect(error.message).toMatch(/at most 20 tables; this one names 21/);
    expect(await queueRows(conn.tenant)).toHaveLength(0);
  });

  it('too_many_fields for a row past 1,000 leaf fields once flattened, naming the row', async () => {
    const conn = await createConnection();
    const wide = { a: wideRow(600), b: wideRow(401) };
    const error = await expectRefused(await push(conn, [{ ok: 1 }, wide], '?table=t'), 'too_many_fields', ['[1]']);
    expect(error.message).toMatch(/at most 1,000 fields/);
    expect(error.problems?.[0]?.message).toMatch(/1001 fields \(limit 1000\)/);
    await expectRefused(await push(conn, { a: [{ x: 1 }], b: [wideRow(1_001)] }), 'too_many_fields', ['b[0]']);
    await expectRefused(await push(conn, wideRow(1_001), '?table=t'), 'too_many_fields', ['$']);
    expect(await queueRows(conn.tenant)).toHaveLength(0);
  });

  it('empty_payload for a row with no fields, with its path', async () => {
    const conn = await createConnection({ table: 'fallback' });
    await expectRefused(await push(conn, [{}], '?table=t'), 'empty_payload', ['[0]']);
    await expectRefused(await push(conn, [{}]), 'empty_payload', ['[0]']);
    await expectRefused(await push(conn, { table: 't', rows: [{ a: 1 }, {}] }), 'empty_payload', ['rows[1]']);
    await expectRefused(await push(conn, { a: [{ x: 1 }], b: [{}] }), 'empty_payload', ['b[0]']);
    await expectRefused(await push(conn, {}, '?table=t'), 'empty_payload', ['$']);
    expect(await queueRows(conn.tenant)).toHaveLength(0);
    // A field holding {} is a field: it lands as the text "{}".
    expect((await push(conn, [{ a: {} }], '?table=t')).status).toBe(202);
  });
});

describe('webhook', () => {
  it('too_many_rows, too_many_fields and empty_payload, like push', async () => {
    const conn = await createConnection();
    await expectRefused(await webhook(conn, rows(MAX_ROWS_PER_MESSAGE + 1)), 'too_many_rows', ['$']);
    await expectRefused(await webhook(conn, [{ a: 1 }, wideRow(1_001)]), 'too_many_fields', ['[1]']);
    await expectRefused(await webhook(conn, wideRow(1_001)), 'too_many_fields', ['$']);
    await expectRefused(await webhook(conn, {}), 'empty_payload', ['$']);
    await expectRefused(await webhook(conn, [{ a: 1 }, {}]), 'empty_payload', ['[1]']);
    expect(await queueRows(conn.tenant)).toHaveLength(0);
  });
});

describe('metrics', () => {
  const metric = (i: number) => ({ date: '2026-06-12', metric_name: 'cpu', value: i });

  it('too_many_rows past 10,000 rows (and exactly 10,000 accepted)', async () => {
    const key = await createKey('metrics');
    const post = (body: unknown) => send('/v1/ingest/metrics', { headers: { authorization: `Bearer ${key.secret}` }, json: body });
    const all = Array.from({ length: MAX_ROWS_PER_MESSAGE + 1 }, (_, i) => metric(i));
    await expectRefused(await post({ table: 'm', rows: all }), 'too_many_rows', ['rows']);
    await expectRefused(await post({ table: 'm', rows: [metric(1), wideRow(1_001, metric(2))] }), 'too_many_fields', ['rows[1]']);
    await expectRefused(await post({ table: 'm', rows: [metric(1), {}] }), 'empty_payload', ['rows[1]']);
    expect(await queueRows(key.tenant)).toHaveLength(0);
    expect((await post({ table: 'm', rows: all.slice(1) })).status).toBe(202);
  });
});

describe('events', () => {
  it('too_many_fields for an event whose flattened envelope passes 1,000 fields', async () => {
    const key = await createKey('source', { sourceId: 'src_wide' });
    const post = (body: unknown) => send('/v1/events/ingest', { headers: { 'x-api-key': key.secret }, json: body });
    const envelope = { event_type: 'wide', source_id: 'src_wide' };
    // The envelope's own two fields plus the payload's leaves make the row.
    await expectRefused(await post({ ...envelope, payload: wideRow(MAX_FIELDS_PER_ROW - 1) }), 'too_many_fields', ['$']);
    expect(await queueRows(key.tenant)).toHaveLength(0);
    expect((await post({ ...envelope, payload: wideRow(MAX_FIELDS_PER_ROW - 2) })).status).toBe(202);
  });
});
