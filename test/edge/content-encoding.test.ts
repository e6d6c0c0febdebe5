// Content-Encoding: gzip bodies are inflated under the 1 MiB limit (bombs stopped early); other encodings get a 415.
import { describe, expect, inject, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../shared/json-safety.ts';
import '../support/provided-context.ts';
import { createConnection, pushPath, queueRows, send, type ConnectionFixture } from './support.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

const encoder = new TextEncoder();

function gzip(input: string | ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const source = typeof input === 'string' ? new Blob([encoder.encode(input)]).stream() : input;
  return new Response(source.pipeThrough(new CompressionStream('gzip'))).bytes();
}

/** `[{"p":"aaa…"}]` of exactly `bytes` bytes, streamed in 1 MiB pieces so a large one is never held whole. */
function paddedRows(bytes: number): ReadableStream<Uint8Array> {
  const head = encoder.encode('[{"p":"');
  const tail = encoder.encode('"}]');
  const filler = new Uint8Array(1 << 20).fill(0x61);
  let left = bytes - head.byteLength - tail.byteLength;
  let started = false;
  return new ReadableStream({
    pull(controller) {
      if (!started) {
        started = true;
        return controller.enqueue(head);
      }
      if (left === 0) {
        controller.enqueue(tail);
        return controller.close();
      }
      const size = Math.min(left, filler.byteLength);
      left -= size;
      controller.enqueue(filler.subarray(0, size));
    },
  });
}

const pushEncoded = (conn: ConnectionFixture, body: BodyInit, encoding: string, headers: Record<string, string> = {}) =>
  send(pushPath(conn.token, '?table=t'), {
    headers: { 'x-tenant-id': conn.tenant, 'content-type': 'application/json', 'content-encoding': encoding, ...headers },
    body,
  });

describe('Content-Encoding: gzip', () => {
  it('inflates the body: the queue holds the decompressed JSON, and the Idempotency-Key fingerprint is the same as plain', async () => {
    const conn = await createConnection();
    const text = '[{"id":1,"name":"Zoë"},{"id":2,"nested":{"a":[1,2]}}]';
    const response = await pushEncoded(conn, await gzip(text), 'gzip', { 'idempotency-key': 'gz-1' });
    expect(response.status).toBe(202);
    expect(((await response.json()) as { rows: number }).rows).toBe(2);
    const [queued] = await queueRows(conn.tenant);
    expect(queued?.['payload']).toEqual(JSON.parse(text));

    // The same request sent uncompressed is the same request.
    const plain = await send(pushPath(conn.token, '?table=t'), {
      headers: { 'x-tenant-id': conn.tenant, 'idempotency-key': 'gz-1', 'content-type': 'application/json' },
      body: text,
    });
    expect(plain.status).toBe(202);
    expect(plain.headers.get('idempotent-replayed')).toBe('true');
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('the limit is on the decompressed bytes: exactly 1 MiB passes, one byte more is 413', async () => {
    const conn = await createConnection();
    const exact = await gzip(paddedRows(MAX_BODY_BYTES));
    expect(exact.byteLength).toBeLessThan(10_000);
    expect((await pushEncoded(conn, exact, 'gzip')).status).toBe(202);
    const over = await pushEncoded(conn, await gzip(paddedRows(MAX_BODY_BYTES + 1)), 'GZIP');
    expect(over.status).toBe(413);
    expect(((await over.json()) as ErrorBody).error).toMatchObject({ code: 'payload_too_large', message: expect.stringMatching(/decompressed/) });
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('refuses a decompression bomb (64 MiB inflated from ~64 KB) with 413', async () => {
    const conn = await createConnection();
    const bomb = await gzip(paddedRows(64 * MAX_BODY_BYTES));
    expect(bomb.byteLength).toBeLessThan(MAX_BODY_BYTES / 8);
    const response = await pushEncoded(conn, bomb, 'gzip');
    expect(response.status).toBe(413);
    expect(await queueRows(conn.tenant)).toHaveLength(0);
  });

  it('400 for a body that is not gzip, and the usual JSON checks after inflating', async () => {
    const conn = await createConnection();
    const garbage = await pushEncoded(conn, '[{"a":1}]', 'gzip');
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as ErrorBody).error).toMatchObject({ code: 'invalid_json', message: expect.stringMatching(/gzip/) });
    const truncated = (await gzip('[{"a":1}]')).slice(0, 12);
    expect((await pushEncoded(conn, truncated, 'gzip')).status).toBe(400);
    const duplicate = await pushEncoded(conn, await gzip('[{"a":1,"a":2}]'), 'gzip');
    expect(duplicate.status).toBe(400);
    expect((await pushEncoded(conn, await gzip(''), 'gzip')).status).toBe(400);
    expect(await queueRows(conn.tenant)).toHaveLength(0);
  });

  it('415 for other encodings, naming gzip', async () => {
    const conn = await createConnection();
    for (const encoding of ['br', 'deflate', 'zstd', 'gzip, br', 'compress']) {
      const response = await pushEncoded(conn, '[{"a":1}]', encoding);
      expect(response.status, encoding).toBe(415);
      const { error } = (await response.json()) as ErrorBody;
      expect(error.code).toBe('unsupported_media_type');
      expect(error.message).toContain('Content-Encoding: gzip');
    }
    expect((await pushEncoded(conn, '[{"a":1}]', 'identity')).status).toBe(202);
  });
});

describe('Content-Encoding through the real HTTP server (wrangler dev)', () => {
  it('workerd hands the Worker the compressed bytes, and the Worker inflates them', async () => {
    const conn = await createConnection();
    const text = '[{"via":"wrangler dev","n":1}]';
    const response = await fetch(`${inject('edgeUrl')}${pushPath(conn.token, '?table=t')}`, {
      method: 'POST',
      headers: { 'x-tenant-id': conn.tenant, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: await gzip(text),
    });
    expect(response.status).toBe(202);
    const [queued] = await queueRows(conn.tenant);
    expect(queued?.['payload']).toEqual(JSON.parse(text));
  });
});
