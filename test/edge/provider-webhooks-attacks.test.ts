// Provider connections under attack, in real workerd against real Postgres: replays with other unsigned ids or a
// changed body, unstorable values, unauthenticated table names, the allowlist and rate limit before the signature.
import { describe, expect, it } from 'vitest';
import { cases, deliver, hex } from './provider-webhook-cases.ts';
import { createConnection, providerSignature, pushPath, queueRows, send } from './support.ts';

describe('provider connections under attack', () => {
  const stripe = cases[0]!;
  const standard = cases[4]!;

  it('a Standard Webhooks delivery replayed with other unsigned id headers is still one message', async () => {
    const conn = await createConnection({ verify: { preset: 'standard-webhooks', signingSecret: standard.secret } });
    const body = JSON.stringify({ type: 'user.created', data: { id: 'u1' } });
    const signed = await providerSignature('standard-webhooks', standard.secret, body, { svix: true, id: `msg_${hex(6)}` });
    const base = { 'content-type': 'application/json', ...signed };
    for (const extra of [
      {},
      { 'webhook-signature': '', 'webhook-id': 'attacker-1' },
      { 'webhook-signature': ' ', 'webhook-id': 'attacker-2', 'webhook-timestamp': '1' },
    ]) {
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
      const response = await send(pushPath(conn.token), {
        headers: { 'content-type': 'application/json', ...(await providerSignature('stripe', stripe.secret, body)) },
        body,
      });
      expect(response.status).toBe(202);
    }
    expect(await queueRows(conn.tenant)).toHaveLength(1);
  });

  it('a verified delivery holding a value Postgres cannot store is kept as a dead letter (base64), not refused', async () => {
    const conn = await createConnection({ verify: { preset: 'stripe', signingSecret: stripe.secret } });
    const body = `{"id":"evt_${hex(6)}","type":"x.y","amount":0.${'1'.repeat(17_000)},"emoji":"😀","emoji":"😀😀"}`;
    const response = await send(pushPath(conn.token), {
      headers: { 'content-type': 'application/json', ...(await providerSignature('stripe', stripe.secret, body)) },
      body,
    });
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
