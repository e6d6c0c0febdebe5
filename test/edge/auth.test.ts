// Credentials: wrong tenant = wrong token (no oracle), revocation, key rotation with an overlap window, and a tenant
// deleted while a gate still holds its credential's config.
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../edge/auth/secrets.ts';
import type { CredentialGate } from '../../edge/gate/credential-gate.ts';
import { createConnection, createKey, createTenant, pushPath, query, queueRows, revokeConnection, revokeKey, rotateKey, send, testEnv } from './support.ts';

const metricsBody = { table: 'm', rows: [{ date: '2026-06-12', metric_name: 'x', value: 1 }] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The tests run with GATE_CONFIG_TTL_SECONDS=1: a revocation reaches every gate within that.
const CONFIG_TTL_MS = 1_100;

describe('authentication', () => {
  it('answers a wrong tenant header exactly like a wrong token', async () => {
    const conn = await createConnection();
    const other = await createTenant();
    const wrongTenant = await send(pushPath(conn.token, '?table=t'), { headers: { 'x-tenant-id': other }, json: [{ a: 1 }] });
    const unknownToken = conn.token.slice(0, -4) + (conn.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const wrongToken = await send(pushPath(unknownToken, '?table=t'), { headers: { 'x-tenant-id': conn.tenant }, json: [{ a: 1 }] });
    const missingTenant = await send(pushPath(conn.token, '?table=t'), { json: [{ a: 1 }] });
    const malformed = await send(pushPath('not-a-token', '?table=t'), { headers: { 'x-tenant-id': conn.tenant }, json: [{ a: 1 }] });
    // Even a request that is also wrong in other ways learns only that its credentials are wrong.
    const wrongEverything = await send(pushPath(unknownToken, '?table=a'), {
      headers: { 'x-tenant-id': conn.tenant, 'x-target-table': 'b', 'content-type': 'text/plain' },
      body: 'nonsense',
    });

    const answers = await Promise.all([wrongTenant, wrongToken, missingTenant, malformed, wrongEverything].map(async (r) => [r.status, await r.text()]));
    expect(answers[0]![0]).toBe(401);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(await queueRows(conn.tenant)).toHaveLength(0);
    expect(await queueRows(other)).toHaveLength(0);
  });

  it('refuses a revoked connection once its gate re-reads the config', async () => {
    const conn = await createConnection();
    const pushOnce = () => send(pushPath(conn.token, '?table=t'), { headers: { 'x-tenant-id': conn.tenant }, json: [{ a: 1 }] });
    expect((await pushOnce()).status).toBe(202);
    await revokeConnection(conn.id);
    await sleep(CONFIG_TTL_MS);
    expect((await pushOnce()).status).toBe(401);
    expect((await send('/api/webhook/t', { headers: { authorization: `Bearer ${conn.token}` }, json: { a: 1 } })).status).toBe(401);
  });

  it('refuses a revoked API key', async () => {
    const key = await createKey('metrics');
    const headers = { authorization: `Bearer ${key.secret}` };
    expect((await send('/v1/ingest/metrics', { headers, json: metricsBody })).status).toBe(202);
    await revokeKey(key.id);
    await sleep(CONFIG_TTL_MS);
    expect((await send('/v1/ingest/metrics', { headers, json: metricsBody })).status).toBe(401);
  });

  it('accepts both keys during a rotation overlap, then only the new one', async () => {
    const key = await createKey('source', { sourceId: 'src_rot' });
    const event = (id: string) => ({ event_id: id, event_type: 'e', source_id: 'src_rot', payload: {} });
    const withOverlap = await rotateKey(key.id, 3600);
    expect((await send('/v1/events/ingest', { headers: { 'x-api-key': key.secret }, json: event('a') })).status).toBe(202);
    expect((await send('/v1/events/ingest', { headers: { 'x-api-key': withOverlap.secret }, json: event('b') })).status).toBe(202);

    // Rotating the new key with no overlap retires it at once; its successor keeps working.
    const immediate = await rotateKey(withOverlap.key.id, 0);
    await sleep(CONFIG_TTL_MS);
    expect((await send('/v1/events/ingest', { headers: { 'x-api-key': withOverlap.secret }, json: event('c') })).status).toBe(401);
    expect((await send('/v1/events/ingest', { headers: { 'x-api-key': immediate.secret }, json: event('d') })).status).toBe(202);
    // The lineage shares one idempotency scope: event 'a' sent again with the newest key is a replay.
    const again = await send('/v1/events/ingest', { headers: { 'x-api-key': immediate.secret }, json: event('a') });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await queueRows(key.tenant)).toHaveLength(3);
  });

  it('answers a push to a tenant deleted after its gate cached the credential like a revoked credential: 401, no error log', async () => {
    const conn = await createConnection();
    const gate = testEnv.GATE.get(testEnv.GATE.idFromName(`ingest:${await sha256Hex(conn.token)}`));
    // A long TTL: the gate keeps admitting on its cached copy, so the queue insert's foreign key is what refuses.
    await runInDurableObject(gate, (instance: CredentialGate) => instance.reconfigure({ gateConfigTtlMs: 600_000 }));
    const pushOnce = (key: string) =>
      send(pushPath(conn.token, '?table=t'), { headers: { 'x-tenant-id': conn.tenant, 'idempotency-key': key }, json: [{ a: 1 }] });
    expect((await pushOnce('before')).status).toBe(202);
    // What a sender with an unknown or revoked credential is answered.
    const unknownToken = conn.token.slice(0, -4) + (conn.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const refused = await send(pushPath(unknownToken, '?table=t'), { headers: { 'x-tenant-id': conn.tenant }, json: [{ a: 1 }] });
    expect(refused.status).toBe(401);
    const refusedBody = await refused.text();

    // The tenant's rows go as an offboarding removes them (the foreign keys are checked at the statement's end).
    await query(
      `WITH q AS (DELETE FROM boitata_inbound_queue WHERE tenant_id = $1), c AS (DELETE FROM boitata_connections WHERE tenant_id = $1)
       DELETE FROM boitata_tenants WHERE id = $1`,
      [conn.tenant],
    );
    const errors = vi.spyOn(console, 'error');
    try {
      const after = await pushOnce('after');
      expect(after.status).toBe(401);
      expect(await after.text()).toBe(refusedBody);
      expect(errors).not.toHaveBeenCalled();
      // The key was released and the stale copy dropped: the retry is refused the same way, before any insert.
      const again = await pushOnce('after');
      expect([again.status, await again.text()]).toEqual([401, refusedBody]);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
    expect(await queueRows(conn.tenant)).toEqual([]);
  });
});
