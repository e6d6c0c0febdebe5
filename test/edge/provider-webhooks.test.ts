// Provider webhooks in real workerd against real Postgres: each preset's signature (made by the provider's own
// library) verified over the raw body, no x-tenant-id needed, delivery ids as idempotency keys, one table per event.
import { describe, expect, it } from 'vitest';
import { cases, deliver, errorCode, hex } from './provider-webhook-cases.ts';
import { createConnection, pushPath, query, queueRows, send } from './support.ts';

describe.each(cases)('$preset deliveries', (c) => {
  it('a valid delivery: 202 without x-tenant-id, one queue row in the event table, the delivery id as its key', async () => {
    const conn = await createConnection({ verify: { preset: c.preset, signingSecret: c.secret } });
    const d = c.delivery();
    const response = await deliver(conn, c, d);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'queued', tables: [{ table: d.table, rows: 1 }], rows: 1 });
    const [row, ...more] = await queueRows(conn.tenant);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ target_table: d.table, idempotency_key: d.deliveryId, payload_format: 'object', row_count: 1, status: 'pending' });
    expect(row!['payload']).toEqual(JSON.parse(d.body));
    const [stored] = await query<{ provenance: Record<string, unknown> }>('SELECT provenance FROM boitata_inbound_queue WHERE tenant_id = $1', [conn.tenant]);
    expect(stored!.provenance).toMatchObject({ provider: c.preset, delivery_id: d.deliveryId });
  });

  it('tampered body, wrong secret, missing signature: 401 with the code, nothing queued, no expected value echoed', async () => {
    const conn = await createConnection({ verify: { preset: c.preset, signingSecret: c.secret } });
    const d = c.delivery();
    const tampered = await deliver(conn, c, d, { body: d.body.replace('}', ',"x":1}') });
    expect(tampered.status).toBe(401);
    const tamperedText = await tampered.text();
    expect(JSON.parse(tamperedText).error.code).toBe('signature_invalid');
    expect(tamperedText).not.toContain(c.secret);
    const wrong = await deliver(conn, c, c.delivery(), {
      secret: c.preset === 'standard-webhooks' ? `whsec_${btoa('another secret of 24 byt')}` : `${c.secret}x`,
    });
    expect(wrong.status).toBe(401);
    expect(await errorCode(wrong)).toBe('signature_invalid');
    const missing = await send(pushPath(conn.token), { headers: { 'content-type': 'application/json', ...d.headers }, body: d.body });
    expect(missing.status).toBe(401);
    expect(await errorCode(missing)).toBe('signature_missing');
    expect(await queueRows(conn.tenant)).toEqual([]);
  });

  it('the same delivery again, and 50 concurrent copies: one queue row, redeliveries answered Idempotent-Replayed', async () => {
    const conn = await createConnection({ verify: { preset: c.preset, signingSecret: c.secret } });
    const d = c.delivery();
    const first = await deliver(conn, c, d);
    expect(first.status).toBe(202);
    const again = await deliver(conn, c, d);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());

    const burst = c.delivery();
    if (c.preset === 'standard-webhooks') burst.deliveryId = `msg_${hex(8)}`;
    const answers = await Promise.all(Array.from({ length: 50 }, () => deliver(conn, c, { ...burst })));
    const statuses = answers.map((a) => a.status);
    // A copy that finds the first still being committed is told to retry (409), as providers do; none is stored twice.
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
    const rows = await queueRows(conn.tenant);
    expect(rows).toHaveLength(2);
  });
});

// GitHub and Shopify sign no timestamp: only the presets that do are checked for its tolerance.
describe.each(cases.filter((c) => c.timestamped))('$preset timestamps', (c) => {
  it('a stale or future timestamp: 401 timestamp_out_of_tolerance', async () => {
    const conn = await createConnection({ verify: { preset: c.preset, signingSecret: c.secret } });
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now - 301 - 5, now + 301 + 5]) {
      const response = await deliver(conn, c, c.delivery(), { timestamp });
      expect(response.status).toBe(401);
      expect(await errorCode(response)).toBe('timestamp_out_of_tolerance');
    }
    expect(await queueRows(conn.tenant)).toEqual([]);
  });
});
