// Provider webhooks end to end: a delivery signed by the provider's own library goes through the real Worker
// (wrangler dev), lands through the processor in its event-type table with its provenance, and a redelivery of it
// lands nothing more — on DuckDB and on Trino/Iceberg.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, expect, inject, it } from 'vitest';
import { addConnection } from '../../../cli/connections.ts';
import { parseSecretsKey, SecretsKeyring } from '../../../shared/secret-box.ts';
import type { VerifyPreset } from '../../../shared/webhooks/presets.ts';
import { providerSecret, providerSignature, type SignOptions } from '../../support/provider-signatures.ts';
import { databaseUrl, db, describeEachWarehouse, edgeUrl, newTenant } from './support.ts';

afterAll(() => db.end());

const keyring = new SecretsKeyring(await parseSecretsKey(inject('secretsKey')));

interface Delivery {
  preset: VerifyPreset;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  sign?: SignOptions;
  table: string;
  expected: { delivery: string; event: string; timestamp: string | null; shop: string | null; hook: string | null };
}

function deliveries(): Delivery[] {
  const evt = `evt_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const ghDelivery = randomUUID();
  const shopifyId = randomUUID();
  const slackId = `Ev${randomUUID().slice(0, 8).toUpperCase()}`;
  const msg = `msg_${randomUUID().slice(0, 12)}`;
  const svixMsg = `msg_${randomUUID().slice(0, 12)}`;
  return [
    {
      preset: 'stripe',
      table: 'stripe_payment_intent_succeeded',
      body: { id: evt, object: 'event', type: 'payment_intent.succeeded', created: 1_764_417_600, data: { object: { id: 'pi_1', amount: 2000 } } },
      headers: {},
      expected: { delivery: evt, event: 'payment_intent.succeeded', timestamp: '2025-11-29T12:00:00.000000Z', shop: null, hook: null },
    },
    {
      preset: 'github',
      table: 'github_pull_request',
      body: { action: 'opened', number: 7, pull_request: { id: 11, title: 'Webhooks' } },
      headers: { 'x-github-event': 'pull_request', 'x-github-delivery': ghDelivery, 'x-github-hook-id': '4242' },
      expected: { delivery: ghDelivery, event: 'pull_request', timestamp: null, shop: null, hook: '4242' },
    },
    {
      preset: 'shopify',
      table: 'shopify_orders_create',
      body: { id: 820982911946154500, total_price: '199.00', currency: 'BRL' },
      headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': shopifyId, 'x-shopify-shop-domain': 'loja.myshopify.com' },
      expected: { delivery: shopifyId, event: 'orders/create', timestamp: null, shop: 'loja.myshopify.com', hook: null },
    },
    {
      preset: 'slack',
      table: 'slack_app_mention',
      body: { type: 'event_callback', team_id: 'T1', event_id: slackId, event_time: 1_764_417_600, event: { type: 'app_mention', text: 'hi' } },
      headers: {},
      expected: { delivery: slackId, event: 'app_mention', timestamp: '2025-11-29T12:00:00.000000Z', shop: null, hook: null },
    },
    {
      preset: 'standard-webhooks',
      table: 'standard_webhooks_user_created',
      body: { type: 'user.created', data: { id: 'user_1' } },
      headers: {},
      sign: { id: msg, timestamp: 1_764_417_600 + 0 },
      expected: { delivery: msg, event: 'user.created', timestamp: null, shop: null, hook: null },
    },
    {
      preset: 'standard-webhooks',
      table: 'standard_webhooks_email_sent',
      body: { type: 'email.sent', data: { id: 'em_1' } },
      headers: {},
      sign: { id: svixMsg, svix: true },
      expected: { delivery: svixMsg, event: 'email.sent', timestamp: null, shop: null, hook: null },
    },
  ];
}

async function deliver(token: string, secret: string, d: Delivery): Promise<Response> {
  const body = JSON.stringify(d.body);
  // Standard Webhooks sign a timestamp within 5 minutes of now; the expected value is taken from what was signed.
  const sign = { ...d.sign, ...(d.preset === 'standard-webhooks' ? { timestamp: Math.floor(Date.now() / 1000) } : {}) };
  const signed = await providerSignature(d.preset, secret, body, sign);
  if (d.preset === 'standard-webhooks' && d.expected.timestamp === null) {
    // The first delivery's: a redelivery is signed again (maybe a second later) and stores nothing.
    const seconds = Number(signed['webhook-timestamp'] ?? signed['svix-timestamp']);
    d.expected.timestamp = new Date(seconds * 1000).toISOString().replace('Z', '000Z');
  }
  return fetch(`${edgeUrl}/v1/ingest/push/${token}`, { method: 'POST', headers: { 'content-type': 'application/json', ...d.headers, ...signed }, body });
}

describeEachWarehouse('provider webhooks end to end', (wh) => {
  it('each preset: verified, one row in its event table with its provenance, a redelivery lands nothing more', async () => {
    const tenant = await newTenant();
    const secrets: string[] = [];
    const plan = deliveries();
    for (const d of plan) {
      const secret = providerSecret(d.preset);
      secrets.push(secret);
      const { token } = await addConnection(
        db,
        { tenant, name: `c-${randomUUID().slice(0, 8)}`, verify: { preset: d.preset }, signingSecret: secret },
        keyring,
      );
      const first = await deliver(token, secret, d);
      expect(first.status, await first.clone().text()).toBe(202);
      const again = await deliver(token, secret, d);
      expect(again.status).toBe(202);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    await wh.processor([tenant]).drain();

    for (const d of plan) {
      const rows = await wh.query(
        `SELECT _boitata_provider AS provider, _boitata_delivery_id AS delivery, _boitata_event_type AS event,
                ${wh.isoUtc('_boitata_provider_timestamp')} AS timestamp, _boitata_shop_domain AS shop, _boitata_hook_id AS hook
           FROM ${wh.table(tenant, d.table)}`,
      );
      expect(rows, d.table).toEqual([{ provider: d.preset, ...d.expected }]);
    }
    // The event's own fields land as columns like any payload (GitHub's `action` stays a column).
    expect(await wh.query(`SELECT action, number FROM ${wh.table(tenant, 'github_pull_request')}`)).toEqual([{ action: 'opened', number: 7 }]);

    // No signing secret is in Postgres in plaintext: a full dump of the database holds none of them.
    const dump = execFileSync('pg_dump', ['--data-only', databaseUrl], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
    expect(dump).toContain('boitata_signing_secrets');
    for (const secret of secrets) expect(dump.includes(secret), 'a signing secret in pg_dump').toBe(false);
  });
});
