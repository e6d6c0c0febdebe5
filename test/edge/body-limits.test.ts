// Hostile and broken bodies: size limits on the bytes actually read, bad encodings, prototype keys, deep nesting.
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../shared/json-safety.ts';
import { createConnection, pushPath, queueRows, send, type ConnectionFixture } from './support.ts';

/** A JSON array of one row whose serialized form is exactly `bytes` long. */
function bodyOfSize(bytes: number): string {
  const shell = '[{"p":""}]';
  return `[{"p":"${'a'.repeat(bytes - shell.length)}"}]`;
}

function chunked(text: string, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

const pushRaw = (conn: ConnectionFixture, body: BodyInit, contentType: string | null = 'application/json') =>
  send(pushPath(conn.token, '?table=t'), {
    headers: { 'x-tenant-id': conn.tenant, ...(contentType === null ? {} : { 'content-type': contentType }) },
    body,
  });

async function errorOf(response: Response): Promise<{ code: string; message: string; problems?: Array<{ path: string }> }> {
  return ((await response.json()) as { error: { code: string; message: string; problems?: Array<{ path: string }> } }).error;
}

describe('body size limit (1 MiB)', () => {
  it('accepts exactly 1 MiB and refuses one byte more, with and without Content-Length', async () => {
    const conn = await createConnection({ rateLimitPerMinute: 1000 });
    const exact = bodyOfSize(MAX_BODY_BYTES);
    const over = bodyOfSize(MAX_BODY_BYTES + 1);
    expect(new TextEncoder().encode(exact).byteLength).toBe(1_048_576);

    expect((await pushRaw(conn, exact)).status).toBe(202);
    const tooLarge = await pushRaw(conn, over);
    expect(tooLarge.status).toBe(413);
    expect((await errorOf(tooLarge)).code).toBe('payload_too_large');

    // A stream body has no declared length: the Worker must count the bytes as they arrive.
    expect(new Request('https://x', { method: 'POST', body: chunked(exact) }).headers.get('content-length')).toBeNull();
    expect((await pushRaw(conn, chunked(exact))).status).toBe(202);
    expect((await pushRaw(conn, chunked(over))).status).toBe(413);
    expect((await pushRaw(conn, chunked(bodyOfSize(5 * MAX_BODY_BYTES)))).status).toBe(413);
    expect(await queueRows(conn.tenant)).toHaveLength(2);
  });
});

describe('content type', () => {
  it('415 for a non-JSON content type, a missing one, or a non-UTF-8 charset', async () => {
    const conn = await createConnection();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', null, 'application/json; charset=latin1']) {
      const response = await pushRaw(conn, '[{"a":1}]', type);
      expect(response.status, String(type)).toBe(415);
      expect((await errorOf(response)).message).toMatch(/application\/json/);
    }
    expect((await pushRaw(conn, '[{"a":1}]', 'application/json; charset=utf-8')).status).toBe(202);
    expect((await pushRaw(conn, '[{"a":1}]', 'application/vnd.api+json')).status).toBe(202);
  });
});

describe('hostile bodies get a clean 4xx and leave the Worker healthy', () => {
  const garbage = new Uint8Array(4096);
  let seed = 42;
  for (let i = 0; i < garbage.length; i++) garbage[i] = (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;

  const cases: Array<{ name: string; body: BodyInit; code: string; path?: string }> = [
    { name: 'invalid JSON', body: '[{"a":1,}]', code: 'invalid_json' },
    { name: 'truncated JSON', body: '[{"a":', code: 'invalid_json' },
    { name: 'an empty body', body: '', code: 'empty_payload' },
    { name: 'invalid UTF-8', body: new Uint8Array([0x5b, 0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x5d]), code: 'invalid_json' },
    { name: 'garbage bytes', body: garbage, code: 'invalid_json' },
    { name: 'a __proto__ key', body: '[{"__proto__": {"admin": true}}]', code: 'invalid_payload', path: '[0].__proto__' },
    { name: 'a nested constructor key', body: '[{"a": {"constructor": {"prototype": 1}}}]', code: 'invalid_payload', path: '[0].a.constructor' },
    { name: 'a NUL character', body: '[{"a": "x\\u0000y"}]', code: 'invalid_payload', path: '[0].a' },
    { name: 'an unpaired surrogate', body: '[{"a": "\\ud800"}]', code: 'invalid_payload', path: '[0].a' },
    { name: 'a number beyond any range', body: '[{"a": 1e1000000}]', code: 'invalid_payload', path: '[0].a' },
    { name: 'a number Postgres cannot store', body: '[{"a": 1e-20000}]', code: 'invalid_payload' },
    { name: 'a NUL hidden behind a duplicate key', body: '[{"a": "\\u0000", "a": 1}]', code: 'invalid_payload' },
    { name: 'arrays nested 100,000 deep', body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, code: 'invalid_payload' },
    { name: 'objects nested 40 deep', body: `[${'{"a":'.repeat(40)}1${'}'.repeat(40)}]`, code: 'invalid_payload' },
    { name: 'a duplicate key', body: '[{"v":1,"v":2}]', code: 'invalid_payload', path: '[0].v' },
    { name: 'a duplicate key spelled with an escape', body: '[{"ok":1},{"n":{"v":1,"\\u0076":2}}]', code: 'invalid_payload', path: '[1].n.v' },
    { name: 'a number whose exponent jsonb would expand (1e-400)', body: '[{"a":[1,1e-400]}]', code: 'invalid_payload', path: '[0].a[1]' },
    { name: 'a number with exponent 51 (1E51)', body: '[{"a":1E51}]', code: 'invalid_payload', path: '[0].a' },
  ];

  for (const testCase of cases) {
    it(`400 for ${testCase.name}`, async () => {
      const conn = await createConnection();
      const response = await pushRaw(conn, testCase.body);
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe(testCase.code);
      if (testCase.path !== undefined) expect(error.problems?.map((p) => p.path)).toContain(testCase.path);
      expect(await queueRows(conn.tenant)).toHaveLength(0);

      // The same Worker keeps serving good requests.
      expect((await send('/health', { method: 'GET' })).status).toBe(200);
      expect((await pushRaw(conn, '[{"ok":true}]')).status).toBe(202);
    });
  }

  it('accepts exponents of exactly ±50, stored as numbers', async () => {
    const conn = await createConnection();
    expect((await pushRaw(conn, '[{"big":1e50,"small":-2.5E-50,"plus":1e+50}]')).status).toBe(202);
    const [row] = await queueRows(conn.tenant);
    expect(row?.['payload']).toEqual([{ big: 1e50, small: -2.5e-50, plus: 1e50 }]);
  });

  it('a value Postgres refuses fails only its own request, not the others written in the same batch', async () => {
    const conn = await createConnection();
    const good = Array.from({ length: 12 }, (_, i) => pushRaw(conn, `[{"n":${i}}]`));
    // No exponent, so the edge's checks pass it; Postgres numeric refuses more than 16,383 digits after the point.
    const bad = pushRaw(conn, `[{"n": 0.${'0'.repeat(20_000)}1}]`);
    const statuses = await Promise.all([...good, bad].map(async (r) => (await r).status));
    expect(statuses.slice(0, 12)).toEqual(Array(12).fill(202));
    expect(statuses[12]).toBe(400);
    expect(await queueRows(conn.tenant)).toHaveLength(12);
  });

  it('405 with Allow for another method, and a JSON 404 elsewhere', async () => {
    const response = await send('/v1/ingest/metrics', { method: 'GET' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    const missing = await send('/nope', { method: 'GET' });
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('not_found');
  });
});
