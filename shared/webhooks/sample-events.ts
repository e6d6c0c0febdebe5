// Small, realistic events per provider (their documented shapes, trimmed) for `boitata connections test-delivery` and
// the bench. Each call gets fresh ids, so two test deliveries are two deliveries, not a replay.
import type { VerifyPreset } from './presets.ts';

export interface SampleEvent {
  body: unknown;
  /** The provider's own headers besides the signature (lower-case names). */
  headers: Record<string, string>;
  /** The delivery id to sign with, where the scheme signs one (Standard Webhooks' `webhook-id`). */
  deliveryId: string;
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomId(length: number, alphabet = ALPHABET): string {
  let id = '';
  for (const byte of crypto.getRandomValues(new Uint8Array(length))) id += alphabet[byte % alphabet.length];
  return id;
}

/** One sample per preset: every preset has one (the Record type says so). */
const SAMPLES: Record<VerifyPreset, (nowSeconds: number) => SampleEvent> = {
  stripe: stripeEvent,
  github: githubEvent,
  shopify: shopifyEvent,
  slack: slackEvent,
  'standard-webhooks': standardWebhooksEvent,
  'hmac-sha256': hmacEvent,
};

export function sampleEvent(preset: VerifyPreset, nowSeconds: number): SampleEvent {
  return SAMPLES[preset](nowSeconds);
}

function stripeEvent(nowSeconds: number): SampleEvent {
  const id = `evt_${randomId(24)}`;
  const intent = `pi_${randomId(24)}`;
  return {
    deliveryId: id,
    headers: { 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
    body: {
      id,
      object: 'event',
      api_version: '2024-06-20',
      created: nowSeconds,
      data: {
        object: {
          id: intent,
          object: 'payment_intent',
          amount: 2000,
          amount_received: 2000,
          currency: 'usd',
          customer: `cus_${randomId(14)}`,
          status: 'succeeded',
          created: nowSeconds - 3,
          livemode: false,
          metadata: { order_id: '6735' },
        },
      },
      livemode: false,
      pending_webhooks: 1,
      request: { id: `req_${randomId(14)}`, idempotency_key: crypto.randomUUID() },
      type: 'payment_intent.succeeded',
    },
  };
}

function githubEvent(nowSeconds: number): SampleEvent {
  const id = crypto.randomUUID();
  const repository = { id: 1296269, name: 'Hello-World', full_name: 'octocat/Hello-World', private: false };
  return {
    deliveryId: id,
    headers: {
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': 'issues',
      'x-github-delivery': id,
      'x-github-hook-id': '292430182',
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': String(repository.id),
    },
    body: {
      action: 'opened',
      issue: {
        id: 1,
        number: 1347,
        title: 'Found a bug',
        state: 'open',
        user: { login: 'octocat', id: 1 },
        labels: [{ id: 208045946, name: 'bug' }],
        created_at: new Date(nowSeconds * 1000).toISOString(),
      },
      repository,
      sender: { login: 'octocat', id: 1 },
    },
  };
}

function shopifyEvent(nowSeconds: number): SampleEvent {
  const id = crypto.randomUUID();
  const created = new Date(nowSeconds * 1000).toISOString();
  return {
    deliveryId: id,
    headers: {
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': id,
      'x-shopify-event-id': crypto.randomUUID(),
      'x-shopify-shop-domain': 'boitata-demo.myshopify.com',
      'x-shopify-api-version': '2025-01',
      'x-shopify-triggered-at': created,
    },
    body: {
      id: 5801283584156,
      admin_graphql_api_id: 'gid://shopify/Order/5801283584156',
      email: 'jon@example.com',
      created_at: created,
      currency: 'USD',
      total_price: '403.00',
      financial_status: 'paid',
      line_items: [{ id: 14063290253468, title: 'IPod Nano - 8gb', quantity: 1, price: '199.00', sku: 'IPOD2008RED' }],
    },
  };
}

function slackEvent(nowSeconds: number): SampleEvent {
  const id = `Ev${randomId(10, ALPHABET.slice(0, 36))}`;
  return {
    deliveryId: id,
    headers: { 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)' },
    body: {
      token: 'XXYYZZ',
      team_id: 'T0001',
      api_app_id: 'A0001',
      event: {
        type: 'app_mention',
        user: 'U0001',
        text: '<@U0LAN0Z89> is it everything a river should be?',
        ts: `${nowSeconds}.000200`,
        channel: 'C0001',
        event_ts: `${nowSeconds}.000200`,
      },
      type: 'event_callback',
      event_id: id,
      event_time: nowSeconds,
    },
  };
}

function standardWebhooksEvent(nowSeconds: number): SampleEvent {
  const id = `msg_${randomId(27)}`;
  return {
    deliveryId: id,
    headers: {},
    body: {
      type: 'user.created',
      timestamp: new Date(nowSeconds * 1000).toISOString(),
      data: { id: `user_${randomId(20)}`, email_address: 'jon@example.com', first_name: 'Jon' },
    },
  };
}

function hmacEvent(nowSeconds: number): SampleEvent {
  return {
    deliveryId: crypto.randomUUID(),
    headers: {},
    body: { event: 'sample.created', id: crypto.randomUUID(), created_at: new Date(nowSeconds * 1000).toISOString() },
  };
}
