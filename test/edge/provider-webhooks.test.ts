// Provider webhooks in real workerd against real Postgres: each preset's signature (made by the provider's own
// library) verified over the raw body, no x-tenant-id needed, delivery ids as idempotency keys, one table per event.
import { describe, expect, it } from 'vitest';
import type { VerifyPreset } from '../../shared/webhooks/presets.ts';
import {
  createConnection, providerSignature, pushPath, query, queueRows, rotateSigningSecret, send,
  type ConnectionFixture,
} from './support.ts';

interface Case {
  preset: VerifyPreset;
  secret: string;
  /** The body and the provider's own (unsigned) headers of one delivery. */
  delivery(): { body: string; headers: Record<string, string>; deliveryId: string; table: string };
  timestamped: boolean;
}

const id = () => crypto.randomUUID();
const hex = (n: number) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, '0')).join('');

const cases: Case[] = [
  {
    preset: 'stripe',
    secret: `whsec_${hex(24)}`,
    timestamped: true,
    delivery() {
      const eventId = `evt_${hex(12)}`;
      const body = JSON.stringify({ id: eventId, object: 'event', type: 'payment_intent.succeeded', created: 1_764_000_000, data: { object: { id: `pi_${hex(8)}`, amount: 2000, currency: 'brl' } } });
      return { body, headers: {}, deliveryId: eventId, table: 'stripe_payment_intent_succeeded' };
    },
  },
  {
    preset: 'github',
    secret: hex(20),
    timestamped: false,
    delivery() {
      const delivery = id();
      const body = JSON.stringify({ action: 'opened', number: 7, pull_request: { id: 1, title: 'Add webhooks' }, repository: { full_name: 'boitata/edge' } });
      return { body, headers: { 'x-github-event': 'pull_request', 'x-github-delivery': delivery, 'x-github-hook-id': '4242' }, deliveryId: delivery, table: 'github_pull_request' };
    },
  },
  {
    preset: 'shopify',
    secret: hex(20),
    timestamped: false,
    delivery() {
      const webhookId = id();
      const body = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '199.00' });
      return {
        body,
        headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': webhookId, 'x-shopify-shop-domain': 'loja.myshopify.com' },
        deliveryId: webhookId,
        table: 'shopify_orders_create',
      };
    },
  },
  {
    preset: 'slack',
    secret: hex(16),
    timestamped: true,
    delivery() {
      const eventId = `Ev${hex(5).toUpperCase()}`;
      const body = JSON.stringify({ type: 'event_callback', team_id: 'T1', event_id: eventId, event_time: 1_764_000_000, event: { type: 'app_mention', text: 'hi', user: 'U1' } });
      return { body, headers: {}, deliveryId: eventId, table: 'slack_app_mention' };
    },
  },
  {
    preset: 'standard-webhooks',
    secret: `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))))}`,
    timestamped: true,
    delivery() {
      const body = JSON.stringify({ type: 'user.created', timestamp: '2026-11-29T12:00:00Z', data: { id: 'user_1', email_addresses: [] } });
      return { body, headers: {}, deliveryId: '', table: 'standard_webhooks_user_created' };
    },
  },
];

async function deliver(conn: ConnectionFixture, c: Case, d: ReturnType<Case['delivery']>, options: { secret?: string; timestamp?: number; body?: string; extra?: Record<string, string> } = {}) {
  const signed = await providerSignature(c.preset, options.secret ?? c.secret, d.body, {
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    ...(d.deliveryId === '' ? {} : { id: d.deliveryId }),
  });
  if (c.preset === 'standard-webhooks') d.deliveryId = signed['webhook-id']!;
  return send(pushPath(conn.token), {
    headers: { 'content-type': 'application/json', ...d.headers, ...signed, ...options.extra },
    body: options.body ?? d.body,
  });
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

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
    const wrong = await deliver(conn, c, c.delivery(), { secret: c.preset === 'standard-webhooks' ? `whsec_${btoa('another secret of 24 byt')}` : `${c.secret}x` });
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

  it('a plain connection keeps today\'s rules: no x-tenant-id is a 401, signed or not', async () => {
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

  it('Slack\'s url_verification is answered with its challenge and stores nothing', async () => {
    const slack = cases[3]!;
    const conn = await createConnection({ verify: { preset: 'slack', signingSecret: slack.secret } });
    const body = JSON.stringify({ token: 'legacy', challenge: 'c3po-r2d2', type: 'url_verification' });
    const signed = await providerSignature('slack', slack.secret, body);
    const response = await send(pushPath(conn.token), { headers: { 'content-type': 'application/json', ...signed }, body });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge: 'c3po-r2d2' });
    expect(await queueRows(conn.tenant)).toEqual([]);
  });

  it('GitHub\'s form encoding: the signature covers the form bytes, the JSON in payload= is stored', async () => {
    const github = cases[1]!;
    const conn = await createConnection({ verify: { preset: 'github', signingSecret: github.secret } });
    const d = github.delivery();
    const form = `payload=${encodeURIComponent(d.body)}`;
    const signed = await providerSignature('github', github.secret, form);
    const response = await send(pushPath(conn.token), { headers: { 'content-type': 'application/x-www-form-urlencoded', ...d.headers, ...signed }, body: form });
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
    const signedWithTenant = await send(pushPath(conn.token, '?table=x'), { headers: { 'content-type': 'application/json', 'x-tenant-id': conn.tenant, ...signed }, body });
    expect(signedWithTenant.status).toBe(202);
  });

  it('a generic connection whose header looks like another provider\'s is still treated as generic', async () => {
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
    const conn = await createConnection({ verify: { preset: "github", signingSecret: github.secret, maxBodyBytes: 3 * 1_048_576 } });
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

describe('provider connections under attack', () => {
  const stripe = cases[0]!;
  const standard = cases[4]!;

  it('a Standard Webhooks delivery replayed with other unsigned id headers is still one message', async () => {
    const conn = await createConnection({ verify: { preset: 'standard-webhooks', signingSecret: standard.secret } });
    const body = JSON.stringify({ type: 'user.created', data: { id: 'u1' } });
    const signed = await providerSignature('standard-webhooks', standard.secret, body, { svix: true, id: `msg_${hex(6)}` });
    const base = { 'content-type': 'application/json', ...signed };
    for (const extra of [{}, { 'webhook-signature': '', 'webhook-id': 'attacker-1' }, { 'webhook-signature': ' ', 'webhook-id': 'attacker-2', 'webhook-timestamp': '1' }]) {
      const response = await send(pushPath(conn.token), { headers: { ...base, ...extra }, body });
      expect(response.status).toBe(202);
    }
    const rows = await queueRows(conn.tenant);
    expect(rows.map((r) => r['idempotency_key'])).toEqual([signed['svix-id']]);
  });

  it('the same Stripe event id with a changed body (pending_webhooks) is a replay, not a 422', async () => {
    const conn = await createConnection({ verify: { preset: 'stripe', signingSecret: stripe.secret } });
    const eventId = `evt_${hex(8)}`;
    const first = JSON.stringify({ id: eventId, type: 'charge.succeeded', pending_webhooks: 2, data: {} });
    const retry = JSON.stringify({ id: eventId, type: 'charge.succeeded', pending_webhooks: 1, data: {} });
    for (const body of [first, retry]) {
      const response = await send(pushPath(conn.token), { headers: { 'content-type': 'application/json', ...(await providerSignature('stripe', stripe.secret, body)) }, body });
      expect(response.status).toBe(202);
    }
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('a verified delivery holding a value Postgres cannot store is kept as a dead letter (base64), not refused', async () => {
    const conn = await createConnection({ verify: { preset: 'stripe', signingSecret: stripe.secret } });
    const body = `{"id":"evt_${hex(6)}","type":"x.y","amount":0.${'1'.repeat(17_000)},"emoji":"😀","emoji":"😀😀"}`;
    const response = await send(pushPath(conn.token), { headers: { 'content-type': 'application/json', ...(await providerSignature('stripe', stripe.secret, body)) }, body });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'dead_lettered' });
    const [row] = await queueRows(conn.tenant);
    expect(row).toMatchObject({ status: 'dead' });
    expect(Object.keys(row!['payload'] as object)).toEqual(['unreadable_body_base64']);
  });

  it('a plain connection without x-tenant-id is a 401 before its table is looked at', async () => {
    const conn = await createConnection();
    const response = await send(pushPath(conn.token, '?table=bad%20name'), { json: [{ a: 1 }] });
    expect(response.status).toBe(401);
  });

  it('the allowlist comes before the signature, and bad signatures spend the rate limit', async () => {
    const outside = await createConnection({ allowedIps: ['192.0.2.0/24'], verify: { preset: 'stripe', signingSecret: stripe.secret } });
    const d = stripe.delivery();
    const bad = await deliver(outside, stripe, d, { secret: `${stripe.secret}x`, extra: { 'cf-connecting-ip': '198.51.100.7' } });
    expect(bad.status).toBe(403);
    const limited = await createConnection({ rateLimitPerMinute: 2, verify: { preset: 'stripe', signingSecret: stripe.secret } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await deliver(limited, stripe, stripe.delivery(), { secret: `${stripe.secret}x` })).status);
    expect(statuses).toEqual([401, 401, 429, 429]);
  });

  it('an unsigned GitHub event header that is not an event name does not choose a table', async () => {
    const github = cases[1]!;
    const conn = await createConnection({ verify: { preset: 'github', signingSecret: github.secret } });
    const d = github.delivery();
    d.headers['x-github-event'] = 'Anything I Like/../x';
    const response = await deliver(conn, github, d);
    expect(await response.json()).toMatchObject({ tables: [{ table: 'github_events', rows: 1 }] });
  });
});
