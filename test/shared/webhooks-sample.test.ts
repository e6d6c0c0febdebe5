// Our sample deliveries (for `boitata connections test-delivery` and the bench) pass the providers' own verifiers and
// ours; Shopify's and Slack's documented recipes (used by the other tests) pass their SDKs' verifiers too.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify as verifyGithub } from '@octokit/webhooks-methods';
import '@shopify/shopify-api/adapters/web-api';
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api';
import { verifySlackRequest } from '@slack/bolt';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendTestDelivery } from '../../cli/test-delivery.ts';
import { deliveryFacts, eventTableName } from '../../shared/webhooks/delivery-facts.ts';
import type { GenericHmacOptions, VerifyPreset } from '../../shared/webhooks/presets.ts';
import { sampleDelivery } from '../../shared/webhooks/sample-delivery.ts';
import { verifySignature } from '../../shared/webhooks/verify-signature.ts';
import { signers, stripe } from '../support/provider-signers.ts';

const GENERIC: GenericHmacOptions = { header: 'x-signature', encoding: 'hex', prefix: 'sha256=' };

function shopifyValidator(secret: string) {
  const shopify = shopifyApi({
    apiKey: 'test-key',
    apiSecretKey: secret,
    hostName: 'boitata.example',
    apiVersion: ApiVersion.January25,
    isEmbeddedApp: false,
    logger: { level: LogSeverity.Error },
  });
  return async (headers: Record<string, string>, body: string) =>
    shopify.webhooks.validate({ rawBody: body, rawRequest: new Request('https://boitata.example/push', { method: 'POST', headers, body }) });
}

/** Verifies with our verifier at the time it was signed; returns the provenance. */
async function verifyOurs(preset: VerifyPreset, secret: string, delivery: { headers: Record<string, string>; body: string }, nowMs: number) {
  const body = new TextEncoder().encode(delivery.body);
  expect(
    await verifySignature({ preset, options: preset === 'hmac-sha256' ? GENERIC : null, secrets: [secret], headers: delivery.headers, body, nowMs }),
  ).toEqual({ ok: true });
  return deliveryFacts(preset, delivery.headers, JSON.parse(delivery.body));
}

describe('sampleDelivery', () => {
  const nowMs = Date.now(); // the providers' verifiers read the clock themselves

  it('stripe: a payment_intent.succeeded event that stripe.webhooks.constructEvent accepts', async () => {
    const secret = signers.stripe.newSecret();
    const delivery = await sampleDelivery({ preset: 'stripe', options: null, secret, nowMs });
    const event = stripe.webhooks.constructEvent(delivery.body, delivery.headers['stripe-signature']!, secret);
    expect(event.type).toBe('payment_intent.succeeded');
    expect(event.id).toMatch(/^evt_[A-Za-z0-9]{24}$/);
    const facts = await verifyOurs('stripe', secret, delivery, nowMs);
    expect(facts).toMatchObject({ deliveryId: event.id, eventType: 'payment_intent.succeeded' });
    expect(eventTableName('stripe', facts.eventType)).toBe('stripe_payment_intent_succeeded');
    expect(delivery.headers['content-type']).toBe('application/json');
  });

  it('github: an issues event that @octokit/webhooks-methods verify accepts', async () => {
    const secret = signers.github.newSecret();
    const delivery = await sampleDelivery({ preset: 'github', options: null, secret, nowMs });
    expect(await verifyGithub(secret, delivery.body, delivery.headers['x-hub-signature-256']!)).toBe(true);
    const facts = await verifyOurs('github', secret, delivery, nowMs);
    expect(facts.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(facts).toMatchObject({ eventType: 'issues', hookId: delivery.headers['x-github-hook-id'] });
  });

  it('shopify: an orders/create webhook that @shopify/shopify-api webhooks.validate accepts', async () => {
    const secret = signers.shopify.newSecret();
    const delivery = await sampleDelivery({ preset: 'shopify', options: null, secret, nowMs });
    expect(await shopifyValidator(secret)(delivery.headers, delivery.body)).toMatchObject({ valid: true, topic: 'ORDERS_CREATE' });
    const facts = await verifyOurs('shopify', secret, delivery, nowMs);
    expect(facts).toMatchObject({ eventType: 'orders/create', shopDomain: 'boitata-demo.myshopify.com', deliveryId: delivery.headers['x-shopify-webhook-id'] });
    expect(eventTableName('shopify', facts.eventType)).toBe('shopify_orders_create');
  });

  it('slack: an event_callback that @slack/bolt verifySlackRequest accepts', async () => {
    const secret = signers.slack.newSecret();
    const delivery = await sampleDelivery({ preset: 'slack', options: null, secret, nowMs });
    verifySlackRequest({
      signingSecret: secret,
      body: delivery.body,
      headers: {
        'x-slack-signature': delivery.headers['x-slack-signature']!,
        'x-slack-request-timestamp': Number(delivery.headers['x-slack-request-timestamp']),
      },
      nowMilliseconds: nowMs,
    });
    const facts = await verifyOurs('slack', secret, delivery, nowMs);
    expect(facts).toMatchObject({ eventType: 'app_mention' });
    expect(facts.deliveryId).toMatch(/^Ev[0-9A-Z]{10}$/);
  });

  it('standard-webhooks: a user.created message that standardwebhooks and svix verify accept', async () => {
    const secret = signers['standard-webhooks'].newSecret();
    const delivery = await sampleDelivery({ preset: 'standard-webhooks', options: null, secret, nowMs });
    expect(new StandardWebhook(secret).verify(delivery.body, delivery.headers)).toMatchObject({ type: 'user.created' });
    expect(() => new SvixWebhook(secret).verify(delivery.body, delivery.headers)).not.toThrow();
    const facts = await verifyOurs('standard-webhooks', secret, delivery, nowMs);
    expect(facts.deliveryId).toMatch(/^msg_/);
    expect(facts).toMatchObject({ deliveryId: delivery.headers['webhook-id'], eventType: 'user.created' });
  });

  it('hmac-sha256: signed in the header the settings name', async () => {
    const delivery = await sampleDelivery({ preset: 'hmac-sha256', options: GENERIC, secret: 'generic-secret', nowMs });
    expect(delivery.headers['x-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    await verifyOurs('hmac-sha256', 'generic-secret', delivery, nowMs);
  });

  it('signs a given body instead of the sample, and makes fresh ids each time', async () => {
    const secret = signers.stripe.newSecret();
    const body = JSON.stringify({ id: 'evt_mine', object: 'event', type: 'charge.refunded', created: 1 });
    const delivery = await sampleDelivery({ preset: 'stripe', options: null, secret, nowMs, body });
    expect(delivery.body).toBe(body);
    expect(stripe.webhooks.constructEvent(delivery.body, delivery.headers['stripe-signature']!, secret).id).toBe('evt_mine');
    const [a, b] = await Promise.all([1, 2].map(() => sampleDelivery({ preset: 'stripe', options: null, secret, nowMs })));
    expect(JSON.parse(a!.body).id).not.toBe(JSON.parse(b!.body).id);
  });

  it('refuses a Standard Webhooks secret that is not base64, without quoting it', async () => {
    await expect(sampleDelivery({ preset: 'standard-webhooks', options: null, secret: 'whsec_not base64!', nowMs })).rejects.toThrow(/whsec_/);
    await expect(sampleDelivery({ preset: 'standard-webhooks', options: null, secret: 'whsec_not base64!', nowMs })).rejects.not.toThrow(/not base64!/);
  });
});

describe("the documented recipes for Shopify and Slack agree with their SDKs' verifiers", () => {
  it('shopify: the recipe-signed delivery passes webhooks.validate, and a tampered one does not', async () => {
    const secret = signers.shopify.newSecret();
    const body = JSON.stringify({ id: 1, note: 'São Paulo ✓' });
    const { headers } = await signers.shopify.sign(secret, body, 0);
    const required = {
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': 's.myshopify.com',
      'x-shopify-api-version': '2025-01',
      'x-shopify-webhook-id': 'w1',
    };
    const validate = shopifyValidator(secret);
    expect(await validate({ ...headers, ...required }, body)).toMatchObject({ valid: true });
    expect(await validate({ ...headers, ...required }, body.replace('1', '2'))).toMatchObject({ valid: false });
  });

  it('slack: the recipe-signed request passes verifySlackRequest, and a tampered one does not', async () => {
    const secret = signers.slack.newSecret();
    const body = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', note: 'São Paulo ✓' });
    const now = Math.floor(Date.now() / 1000);
    const { headers } = await signers.slack.sign(secret, body, now);
    const slackHeaders = { 'x-slack-signature': headers['x-slack-signature']!, 'x-slack-request-timestamp': now };
    expect(() => verifySlackRequest({ signingSecret: secret, body, headers: slackHeaders })).not.toThrow();
    expect(() => verifySlackRequest({ signingSecret: secret, body: `${body} `, headers: slackHeaders })).toThrow(/signature mismatch/);
  });
});

describe('sendTestDelivery', () => {
  const secret = signers.stripe.newSecret();
  const received: Array<{ method: string; url: string; headers: Record<string, string>; result: unknown }> = [];
  let url = '';
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      // An event listener's promise is dropped: a verifier that throws answers 500 instead of an unhandled rejection.
      verifySignature({ preset: 'stripe', options: null, secrets: [secret], headers, body: new Uint8Array(Buffer.concat(chunks)), nowMs: Date.now() }).then(
        (result) => {
          received.push({ method: request.method ?? '', url: request.url ?? '', headers, result });
          response.writeHead(result.ok ? 202 : 401, { 'content-type': 'application/json', 'idempotent-replayed': 'false' });
          response.end(JSON.stringify(result));
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ingest/push/bt_ik_test`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('POSTs a signed sample to the push URL and reports the answer and the delivery id', async () => {
    const outcome = await sendTestDelivery({ url, preset: 'stripe', options: null, secret });
    expect(outcome.status).toBe(202);
    expect(JSON.parse(outcome.body)).toEqual({ ok: true });
    expect(outcome.headers['idempotent-replayed']).toBe('false');
    expect(outcome.deliveryId).toMatch(/^evt_/);
    expect(received.at(-1)).toMatchObject({ method: 'POST', url: '/v1/ingest/push/bt_ik_test', result: { ok: true } });
    expect(received.at(-1)!.headers['content-type']).toBe('application/json');
  });

  it('reports a refusal as it came', async () => {
    const outcome = await sendTestDelivery({ url, preset: 'stripe', options: null, secret: signers.stripe.newSecret() });
    expect(outcome.status).toBe(401);
    expect(JSON.parse(outcome.body)).toMatchObject({ code: 'signature_invalid' });
  });
});
