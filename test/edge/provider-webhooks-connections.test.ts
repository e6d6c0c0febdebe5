// Provider connections in real workerd against real Postgres: x-tenant-id, table choice, secret rotation, Slack's
// challenge, GitHub's form encoding, dead letters, the generic HMAC preset and the per-connection body limit.
import { describe, expect, it } from 'vitest';
import { cases, deliver, errorCode, hex } from './provider-webhook-cases.ts';
import { createConnection, providerSignature, pushPath, query, queueRows, rotateSigningSecret, send } from './support.ts';

describe('provider connections', () => {
  const stripe = cases[0]!;

  it('x-tenant-id is optional, but when sent it must match (the same 401 as a bad token)', async () => {
    const conn = await createConnection({ verify: { preset: 'stripe', signingSecret: stripe.secret } });
    const right = await deliver(conn, stripe, stripe.delivery(), { extra: { 'x-tenant-id': conn.tenant } });
    expect(right.status).toBe(202);
    const wrong = await deliver(conn, stripe, stripe.delivery(), { extra: { 'x-tenant-id': `${conn.tenant}-other` } });
    expect(wrong.status).toBe(401);
    expect(await errorCode(wrong)).toBe('unauthorized');
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it("a plain connection keeps today's rules: no x-tenant-id is a 401, signed or not", async () => {
    const conn = await createConnection();
    const response = await deliver(conn, stripe, stripe.delivery());
    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe('unauthorized');
  });

  it('?table= and the default table win over the event type', async () => {
    const conn = await createConnection({ table: 'payments', verify: { preset: 'stripe', signingSecret: stripe.secret } });
    const d = stripe.delivery();
    expect(await (await deliver(conn, stripe, d)).json()).toMatchObject({ tables: [{ table: 'payments', rows: 1 }] });
    const e = stripe.delivery();
    const signed = await providerSignature('stripe', stripe.secret, e.body);
    const explicit = await send(pushPath(conn.token, '?table=stripe_all'), { headers: { 'content-type': 'application/json', ...signed }, body: e.body });
    expect(await explicit.json()).toMatchObject({ tables: [{ table: 'stripe_all', rows: 1 }] });
  });

  it('a rotated secret verifies during the overlap and not after it; the new one verifies', async () => {
    const conn = await createConnection({ verify: { preset: 'github', signingSecret: 'old-secret-0001' } });
    const github = cases[1]!;
    const rotatedAt = Date.now();
    await rotateSigningSecret(conn.id, 'new-secret-0002', 4);
    expect((await deliver(conn, github, github.delivery(), { secret: 'old-secret-0001' })).status).toBe(202);
    expect((await deliver(conn, github, github.delivery(), { secret: 'new-secret-0002' })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, rotatedAt + 4_300 - Date.now())));
    const late = await deliver(conn, github, github.delivery(), { secret: 'old-secret-0001' });
    expect(late.status).toBe(401);
    expect(await errorCode(late)).toBe('signature_invalid');
    expect((await deliver(conn, github, github.delivery(), { secret: 'new-secret-0002' })).status).toBe(202);
  });

  it("Slack's url_verification is answered with its challenge and stores nothing", async () => {
    const slack = cases[3]!;
    const conn = await createConnection({ verify: { preset: 'slack', signingSecret: slack.secret } });
    const body = JSON.stringify({ token: 'legacy', challenge: 'c3po-r2d2', type: 'url_verification' });
    const signed = await providerSignature('slack', slack.secret, body);
    const response = await send(pushPath(conn.token), { headers: { 'content-type': 'application/json', ...signed }, body });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge: 'c3po-r2d2' });
    expect(await queueRows(conn.tenant)).toEqual([]);
  });

  it("GitHub's form encoding: the signature covers the form bytes, the JSON in payload= is stored", async () => {
    const github = cases[1]!;
    const conn = await createConnection({ verify: { preset: 'github', signingSecret: github.secret } });
    const d = github.delivery();
    const form = `payload=${encodeURIComponent(d.body)}`;
    const signed = await providerSignature('github', github.secret, form);
    const response = await send(pushPath(conn.token), {
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...d.headers, ...signed },
      body: form,
    });
    expect(response.status).toBe(202);
    const [row] = await queueRows(conn.tenant);
    expect(row!['payload']).toEqual(JSON.parse(d.body));
  });

  it('a verified delivery that breaks a content rule is stored as a dead letter, not refused', async () => {
    const conn = await createConnection({ verify: { preset: 'stripe', signingSecret: stripe.secret } });
    const body = `{"id":"evt_dup${hex(4)}","type":"charge.failed","amount":1,"amount":2}`;
    const signed = await providerSignature('stripe', stripe.secret, body);
    const response = await send(pushPath(conn.token), { headers: { 'content-type': 'application/json', ...signed }, body });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'dead_lettered', error: { code: 'invalid_payload' } });
    const [row] = await queueRows(conn.tenant);
    expect(row).toMatchObject({ status: 'dead', target_table: 'stripe_charge_failed' });
    const dead = await query<{ error_code: string; reason: string }>('SELECT error_code, reason FROM boitata_dead_letters WHERE tenant_id = $1', [conn.tenant]);
    expect(dead).toEqual([{ error_code: 'invalid_payload', reason: expect.stringContaining('more than once') }]);
  });

  it('the generic hmac-sha256 preset: header, encoding and prefix as configured', async () => {
    const options = { header: 'x-acme-signature', encoding: 'base64' as const, prefix: 'sha256=' };
    const conn = await createConnection({ verify: { preset: 'hmac-sha256', options, signingSecret: 'acme-secret' } });
    const body = JSON.stringify({ event: 'invoice.paid', id: 1 });
    const signed = await providerSignature('hmac-sha256', 'acme-secret', body, { generic: options });
    const ok = await send(pushPath(conn.token), { headers: { 'content-type': 'application/json', ...signed }, body });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ tables: [{ table: 'hmac_sha256_events', rows: 1 }] });
    // Sent with x-tenant-id (which a generic sender may set), it is still verified.
    const unsigned = await send(pushPath(conn.token, '?table=x'), { headers: { 'content-type': 'application/json', 'x-tenant-id': conn.tenant }, body });
    expect(unsigned.status).toBe(401);
    expect(await errorCode(unsigned)).toBe('signature_missing');
    const signedWithTenant = await send(pushPath(conn.token, '?table=x'), {
      headers: { 'content-type': 'application/json', 'x-tenant-id': conn.tenant, ...signed },
      body,
    });
    expect(signedWithTenant.status).toBe(202);
  });

  it("a generic connection whose header looks like another provider's is still treated as generic", async () => {
    // The edge prepares a delivery for the preset its signature header names before the gate answers; the gate
    // checks that guess, and a wrong one is prepared again for the connection's real preset.
    const options = { header: 'x-hub-signature-256', encoding: 'hex' as const, prefix: 'sha256=' };
    const conn = await createConnection({ table: 'acme', verify: { preset: 'hmac-sha256', options, signingSecret: 'acme-secret' } });
    const body = JSON.stringify([{ id: 1 }, { id: 2 }]);
    const signed = await providerSignature('hmac-sha256', 'acme-secret', body, { generic: options });
    const response = await send(pushPath(conn.token), { headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...signed }, body });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ tables: [{ table: 'acme', rows: 2 }], rows: 2 });
    const [row] = await queueRows(conn.tenant);
    expect(row).toMatchObject({ payload_format: 'array', target_table: 'acme', row_count: 2 });
  });

  it('a connection may raise its body limit for signed deliveries; past it, 413', async () => {
    const github = cases[1]!;
    const conn = await createConnection({ verify: { preset: 'github', signingSecret: github.secret, maxBodyBytes: 3 * 1_048_576 } });
    const big = JSON.stringify({ action: 'synchronize', blob: 'x'.repeat(2 * 1_048_576) });
    const d = { ...github.delivery(), body: big };
    const response = await deliver(conn, github, d);
    expect(response.status).toBe(202);
    const tooBig = JSON.stringify({ action: 'synchronize', blob: 'x'.repeat(3 * 1_048_576) });
    const refused = await deliver(conn, github, { ...github.delivery(), body: tooBig });
    expect(refused.status).toBe(413);
    // Unsigned, or with a bad token, a large body is refused by authentication first.
    const plain = await createConnection();
    const bad = await send(pushPath(plain.token), { headers: { 'content-type': 'application/json' }, body: big });
    expect(bad.status).toBe(401);
  });
});
