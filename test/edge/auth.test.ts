// Credentials: wrong tenant = wrong token (no oracle), revocation, key rotation with an overlap window.
import { describe, expect, it } from 'vitest';
import { createConnection, createKey, createTenant, pushPath, queueRows, revokeConnection, revokeKey, rotateKey, send } from './support.ts';

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
});
