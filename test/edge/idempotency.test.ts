// Idempotency-Key: replay, 422 for another body, 409 while in flight, and the queue's unique index as the backstop.
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../edge/auth/secrets.ts';
import { IdempotencyStore, IN_FLIGHT_TIMEOUT_MS } from '../../edge/gate/idempotency-store.ts';
import { fingerprint } from '../../edge/ingest/ingest-flow.ts';
import { pushIdentity } from '../../edge/routes/push-route.ts';
import { createConnection, pushPath, queueRows, send, testEnv, type ConnectionFixture } from './support.ts';

const pushWithKey = (conn: ConnectionFixture, key: string, rows: unknown) =>
  send(pushPath(conn.token, '?table=orders'), { headers: { 'x-tenant-id': conn.tenant, 'idempotency-key': key }, json: rows });

async function gateOf(conn: ConnectionFixture) {
  return testEnv.GATE.get(testEnv.GATE.idFromName(`ingest:${await sha256Hex(conn.token)}`));
}

describe('Idempotency-Key', () => {
  it('replays the first response for a retry, with Idempotent-Replayed, and queues nothing new', async () => {
    const conn = await createConnection();
    const first = await pushWithKey(conn, 'order-101', [{ id: 101 }]);
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const retry = await pushWithKey(conn, 'order-101', [{ id: 101 }]);
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(await first.json());
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('400 for a key with a comma: a repeated header arrives joined with ", " and must not become a new key', async () => {
    const conn = await createConnection();
    expect((await pushWithKey(conn, 'K', [{ id: 1 }])).status).toBe(202);
    // What the runtime hands the Worker for `Idempotency-Key: K` sent twice.
    const repeated = new Headers({ 'x-tenant-id': conn.tenant, 'content-type': 'application/json' });
    repeated.append('idempotency-key', 'K');
    repeated.append('idempotency-key', 'K');
    expect(repeated.get('idempotency-key')).toBe('K, K');
    for (const headers of [repeated, { 'x-tenant-id': conn.tenant, 'content-type': 'application/json', 'idempotency-key': 'a,b' }]) {
      const response = await send(pushPath(conn.token, '?table=orders'), { headers: headers as unknown as Record<string, string>, body: '[{"id":1}]' });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { code: string; problems: Array<{ path: string; message: string }> } };
      expect(error.code).toBe('invalid_payload');
      expect(error.problems).toEqual([{ path: 'headers.Idempotency-Key', message: expect.stringMatching(/repeated .* or a comma/) }]);
    }
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('422 for the same key with a different body', async () => {
    const conn = await createConnection();
    expect((await pushWithKey(conn, 'k1', [{ id: 1 }])).status).toBe(202);
    const reused = await pushWithKey(conn, 'k1', [{ id: 2 }]);
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('409 while the first request with the key is still in flight; free again once released', async () => {
    const conn = await createConnection();
    const rows = [{ id: 5 }];
    const requestHash = await fingerprint(pushIdentity('orders', undefined), new TextEncoder().encode(JSON.stringify(rows)));
    const gate = await gateOf(conn);
    const held = await gate.admit({ kind: 'ingest', hashHex: await sha256Hex(conn.token), clientIp: null, idempotency: { key: 'slow', requestHash } });
    expect(held.kind).toBe('proceed');

    const concurrent = await pushWithKey(conn, 'slow', rows);
    expect(concurrent.status).toBe(409);
    expect(((await concurrent.json()) as { error: { code: string } }).error.code).toBe('idempotency_request_in_flight');

    await gate.release('slow');
    expect((await pushWithKey(conn, 'slow', rows)).status).toBe(202);
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('an in-flight key abandoned for 60 s is free again, even for a corrected body', async () => {
    const conn = await createConnection();
    const gate = await gateOf(conn);
    const kinds = await runInDurableObject(gate, (_instance, state) => {
      const store = new IdempotencyStore(state.storage.sql);
      return [
        store.begin('abandoned', 'hash-1', 0).kind,
        store.begin('abandoned', 'hash-2', IN_FLIGHT_TIMEOUT_MS - 1).kind,
        store.begin('abandoned', 'hash-2', IN_FLIGHT_TIMEOUT_MS).kind,
        store.begin('abandoned', 'hash-2', IN_FLIGHT_TIMEOUT_MS + 1).kind,
      ];
    });
    expect(kinds).toEqual(['started', 'mismatch', 'started', 'in_flight']);
  });

  it('50 concurrent requests with one key create exactly one queue row', async () => {
    const conn = await createConnection();
    const responses = await Promise.all(Array.from({ length: 50 }, () => pushWithKey(conn, 'burst', [{ id: 50 }])));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    const fresh = responses.filter((r) => r.status === 202 && r.headers.get('idempotent-replayed') === null);
    expect(fresh).toHaveLength(1);
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('the queue backstop holds when the gate has lost its memory: replay, or 422 for another body', async () => {
    const conn = await createConnection();
    const first = await pushWithKey(conn, 'durable', [{ id: 9 }]);
    expect(first.status).toBe(202);
    const gate = await gateOf(conn);
    await runInDurableObject(gate, (_instance, state) => {
      state.storage.sql.exec('DELETE FROM idempotency');
    });

    const retry = await pushWithKey(conn, 'durable', [{ id: 9 }]);
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(await first.text());

    await runInDurableObject(gate, (_instance, state) => {
      state.storage.sql.exec('DELETE FROM idempotency');
    });
    expect((await pushWithKey(conn, 'durable', [{ id: 10 }])).status).toBe(422);
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('keeps keys per connection: the same key on two connections stores two messages', async () => {
    const a = await createConnection();
    const b = await createConnection({ tenant: a.tenant });
    expect((await pushWithKey(a, 'shared', [{ id: 1 }])).status).toBe(202);
    const onB = await pushWithKey(b, 'shared', [{ id: 1 }]);
    expect(onB.status).toBe(202);
    expect(onB.headers.get('idempotent-replayed')).toBeNull();
    expect(await queueRows(a.tenant)).toHaveLength(2);
  });

  it('400 for an Idempotency-Key longer than 255 characters, and nothing is queued', async () => {
    const conn = await createConnection();
    const response = await pushWithKey(conn, 'k'.repeat(256), [{ id: 1 }]);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { problems: Array<{ path: string }> } }).error.problems[0]?.path).toBe('headers.Idempotency-Key');
    expect(await queueRows(conn.tenant)).toHaveLength(0);
  });
});
