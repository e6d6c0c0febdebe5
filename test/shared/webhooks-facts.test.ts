// What a provider delivery says about itself, the table it lands in, Slack's challenge and GitHub's form body.
import { describe, expect, it } from 'vitest';
import { isValidTableName } from '../../shared/table-name.ts';
import { decodeFormPayload, deliveryFacts, eventTableName, SIGNATURE_HEADERS, slackChallenge } from '../../shared/webhooks/delivery-facts.ts';
import { VERIFY_PRESETS, type HeaderMap, type Provenance, type VerifyPreset } from '../../shared/webhooks/presets.ts';

const none = { deliveryId: null, eventType: null, providerTimestamp: null, shopDomain: null, hookId: null };

describe('deliveryFacts', () => {
  const cases: Array<[string, VerifyPreset, HeaderMap, unknown, Partial<Provenance>]> = [
    [
      'stripe: id, type and created from the event',
      'stripe',
      {},
      { id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', object: 'event', type: 'payment_intent.succeeded', created: 1_686_089_970 },
      { deliveryId: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', eventType: 'payment_intent.succeeded', providerTimestamp: '2023-06-06T22:19:30.000Z' },
    ],
    [
      'github: the delivery, event and hook headers; no timestamp',
      'github',
      { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-event': 'pull_request', 'x-github-hook-id': '292430182' },
      { action: 'opened', created_at: '2026-01-01T00:00:00Z' },
      { deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958', eventType: 'pull_request', hookId: '292430182' },
    ],
    [
      'shopify: webhook id, topic, shop domain, triggered-at (nanoseconds cut to milliseconds)',
      'shopify',
      {
        'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': 'shop.myshopify.com',
        'x-shopify-triggered-at': '2023-03-29T18:00:27.877041743Z',
      },
      { id: 820982911946154500 },
      {
        deliveryId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
        eventType: 'orders/create',
        shopDomain: 'shop.myshopify.com',
        providerTimestamp: '2023-03-29T18:00:27.877Z',
      },
    ],
    [
      'shopify: the un-prefixed headers of event subscriptions',
      'shopify',
      {
        'shopify-webhook-id': 'w-1',
        'shopify-topic': 'products/update',
        'shopify-shop-domain': 's.myshopify.com',
        'shopify-triggered-at': '2026-11-29T13:00:00+01:00',
      },
      {},
      { deliveryId: 'w-1', eventType: 'products/update', shopDomain: 's.myshopify.com', providerTimestamp: '2026-11-29T12:00:00.000Z' },
    ],
    [
      'slack: event_id, the inner event type, event_time',
      'slack',
      { 'x-slack-request-timestamp': '1700000999' },
      { type: 'event_callback', event_id: 'Ev08MFMKH6J7', event_time: 1_700_000_000, event: { type: 'app_mention' } },
      { deliveryId: 'Ev08MFMKH6J7', eventType: 'app_mention', providerTimestamp: '2023-11-14T22:13:20.000Z' },
    ],
    [
      'slack: url_verification is its own type; the request timestamp when no event_time',
      'slack',
      { 'x-slack-request-timestamp': '1700000000' },
      { type: 'url_verification', challenge: 'c', token: 't' },
      { eventType: 'url_verification', providerTimestamp: '2023-11-14T22:13:20.000Z' },
    ],
    [
      'slack: event_callback without an event keeps the top-level type',
      'slack',
      {},
      { type: 'event_callback', event_id: 'Ev1' },
      { deliveryId: 'Ev1', eventType: 'event_callback' },
    ],
    [
      'standard-webhooks: webhook-id, body type, webhook-timestamp',
      'standard-webhooks',
      { 'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 'webhook-timestamp': '1674087231', 'webhook-signature': 'v1,x' },
      { type: 'user.created', data: {} },
      { deliveryId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', eventType: 'user.created', providerTimestamp: '2023-01-19T00:13:51.000Z' },
    ],
    [
      'standard-webhooks: the svix-* headers',
      'standard-webhooks',
      { 'svix-id': 'msg_svix', 'svix-timestamp': '1674087231', 'svix-signature': 'v1,x' },
      { type: 'email.sent' },
      { deliveryId: 'msg_svix', eventType: 'email.sent', providerTimestamp: '2023-01-19T00:13:51.000Z' },
    ],
    ['hmac-sha256: nothing is known', 'hmac-sha256', { 'x-request-id': 'r' }, { id: 'x', type: 'y' }, {}],
  ];
  for (const [name, preset, headers, body, expected] of cases) {
    it(name, () => expect(deliveryFacts(preset, headers, body)).toEqual({ provider: preset, ...none, ...expected }));
  }

  const hostile: Array<[string, unknown]> = [
    ['an array body', [{ id: 'evt_1', type: 't' }]],
    ['a string body', 'evt_1'],
    ['null', null],
    ['objects where strings belong', { id: { $gt: '' }, type: ['a'], created: { n: 1 } }],
    ['a giant id and type', { id: 'e'.repeat(1025), type: 't'.repeat(256), created: 1e300 }],
    ['non-finite and negative numbers', { id: Number.NaN, type: Number.POSITIVE_INFINITY, created: -1 }],
    ['an empty id, a NUL, a lone surrogate', { id: '', type: 'a\u0000b', created: '\uD800' }],
  ];
  for (const [name, body] of hostile) {
    it(`stripe: ${name} gives no facts`, () => expect(deliveryFacts('stripe', {}, body)).toEqual({ provider: 'stripe', ...none }));
  }

  it('accepts an id of up to 1,024 characters (the edge hashes a long one into its key), a type of 255, and numbers', () => {
    expect(deliveryFacts('stripe', {}, { id: 'e'.repeat(1024), type: 't'.repeat(255) })).toMatchObject({
      deliveryId: 'e'.repeat(1024),
      eventType: 't'.repeat(255),
    });
    expect(deliveryFacts('stripe', {}, { id: 7, type: 42 })).toMatchObject({ deliveryId: '7', eventType: '42' });
  });

  it('takes a Standard Webhooks id from the header set that carries the signature, never the other', () => {
    const headers = { 'svix-id': 'msg_signed', 'svix-timestamp': '1764417600', 'svix-signature': 'v1,x', 'webhook-id': 'attacker', 'webhook-signature': ' ' };
    expect(deliveryFacts('standard-webhooks', headers, {})).toMatchObject({ deliveryId: 'msg_signed', providerTimestamp: '2025-11-29T12:00:00.000Z' });
  });

  it('refuses a header timestamp that is not Unix seconds or an ISO instant', () => {
    expect(
      deliveryFacts('standard-webhooks', { 'webhook-id': 'm', 'webhook-timestamp': 'soon', 'webhook-signature': 'v1,x' }, {}).providerTimestamp,
    ).toBeNull();
    expect(deliveryFacts('shopify', { 'x-shopify-triggered-at': 'yesterday' }, {}).providerTimestamp).toBeNull();
    expect(deliveryFacts('shopify', { 'x-shopify-triggered-at': '2023-02-30T00:00:00Z' }, {}).providerTimestamp).toBeNull();
  });
});

describe('eventTableName', () => {
  const cases: Array<[VerifyPreset, string | null, string]> = [
    ['stripe', 'payment_intent.succeeded', 'stripe_payment_intent_succeeded'],
    ['shopify', 'orders/create', 'shopify_orders_create'],
    ['github', 'pull_request', 'github_pull_request'],
    ['slack', 'app_mention', 'slack_app_mention'],
    ['standard-webhooks', 'user.created', 'standard_webhooks_user_created'],
    ['shopify', 'ORDERS_CREATE', 'shopify_orders_create'],
    ['stripe', 'v2.core.event_destination.ping', 'stripe_v2_core_event_destination_ping'],
    ['github', 'a -- b//c', 'github_a_b_c'],
    ['github', 'trailing.', 'github_trailing'],
    ['github', 'ação', 'github_a_o'],
    ['stripe', null, 'stripe_events'],
    ['hmac-sha256', null, 'hmac_sha256_events'],
    ['stripe', '', 'stripe_events'],
    ['stripe', '...', 'stripe_events'],
    ['stripe', '___', 'stripe_events'],
  ];
  for (const [preset, type, table] of cases) {
    it(`${preset} + ${JSON.stringify(type)} → ${table}`, () => {
      expect(eventTableName(preset, type)).toBe(table);
      expect(isValidTableName(table)).toBe(true);
    });
  }

  it('cuts a long name to the limit with a hash, distinct and deterministic', () => {
    const long = `customer.subscription.${'very_long_segment.'.repeat(10)}`;
    const a = eventTableName('standard-webhooks', `${long}one`);
    const b = eventTableName('standard-webhooks', `${long}two`);
    expect(a).toHaveLength(128);
    expect(a).toMatch(/^standard_webhooks_customer_subscription_very_long_segment_.*_[0-9a-f]{8}$/);
    expect(isValidTableName(a)).toBe(true);
    expect(isValidTableName(b)).toBe(true);
    expect(a).not.toBe(b);
    expect(eventTableName('standard-webhooks', `${long}one`)).toBe(a);
  });

  it('a name of exactly 128 characters is kept whole; 129 is cut', () => {
    const exact = 'x'.repeat(128 - 'github_'.length);
    expect(eventTableName('github', exact)).toBe(`github_${exact}`);
    const over = eventTableName('github', `${exact}y`);
    expect(over).toHaveLength(128);
    expect(over).toMatch(/^github_x+_[0-9a-f]{8}$/);
  });

  it('is always a valid table name, whatever the event type', () => {
    const types = ['', ' ', '🐍', '_'.repeat(500), `${'_'.repeat(118)}.x`, 'a'.repeat(100_000), '-'.repeat(300), `${'a.'.repeat(200)}`];
    for (const preset of VERIFY_PRESETS) {
      for (const type of types) expect(isValidTableName(eventTableName(preset, type)), `${preset} ${type.slice(0, 20)}`).toBe(true);
    }
  });

  it('a long run of underscores does not take quadratic time', () => {
    const started = performance.now();
    eventTableName('github', `${'_'.repeat(200_000)}x`);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('slackChallenge', () => {
  it('returns the challenge of a url_verification body', () => {
    expect(
      slackChallenge({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' }),
    ).toBe('3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
  });
  const nothing: Array<[string, unknown]> = [
    ['an event_callback', { type: 'event_callback', challenge: 'x' }],
    ['no challenge', { type: 'url_verification' }],
    ['a non-string challenge', { type: 'url_verification', challenge: 42 }],
    ['a giant challenge', { type: 'url_verification', challenge: 'c'.repeat(256) }],
    ['an array', [{ type: 'url_verification', challenge: 'x' }]],
    ['null', null],
  ];
  for (const [name, body] of nothing) it(`null for ${name}`, () => expect(slackChallenge(body)).toBeNull());
});

describe('decodeFormPayload', () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  it('URL-decodes the payload field, + as a space', () => {
    const json = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1, note: 'São & 100% + ✓' });
    const form = `payload=${encodeURIComponent(json).replace(/%20/g, '+')}`;
    expect(decodeFormPayload(encode(form))).toBe(json);
    expect(JSON.parse(decodeFormPayload(encode(`other=1&payload=${encodeURIComponent(json)}`))!)).toEqual(JSON.parse(json));
  });
  it('null when there is no payload field', () => {
    expect(decodeFormPayload(encode('other=1'))).toBeNull();
    expect(decodeFormPayload(encode(''))).toBeNull();
    expect(decodeFormPayload(encode('{"payload":1}'))).toBeNull();
  });
});

describe('SIGNATURE_HEADERS', () => {
  it('lists each provider signature header in lower case', () => {
    for (const header of ['stripe-signature', 'x-hub-signature-256', 'x-shopify-hmac-sha256', 'x-slack-signature', 'webhook-signature', 'svix-signature']) {
      expect(SIGNATURE_HEADERS).toContain(header);
    }
    for (const header of SIGNATURE_HEADERS) expect(header).toBe(header.toLowerCase());
  });
});
