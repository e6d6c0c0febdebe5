// The provider webhook cases the edge tests share: each preset's secret and a fresh delivery of its own (body and
// unsigned headers), and how one is signed by the provider's own library and sent.
import type { VerifyPreset } from '../../shared/webhooks/presets.ts';
import { providerSignature, pushPath, send, type ConnectionFixture } from './support.ts';

export interface Case {
  preset: VerifyPreset;
  secret: string;
  /** The body and the provider's own (unsigned) headers of one delivery. */
  delivery(): { body: string; headers: Record<string, string>; deliveryId: string; table: string };
  timestamped: boolean;
}

const id = () => crypto.randomUUID();
export const hex = (n: number) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, '0')).join('');

export const cases: Case[] = [
  {
    preset: 'stripe',
    secret: `whsec_${hex(24)}`,
    timestamped: true,
    delivery() {
      const eventId = `evt_${hex(12)}`;
      const body = JSON.stringify({
        id: eventId,
        object: 'event',
        type: 'payment_intent.succeeded',
        created: 1_764_000_000,
        data: { object: { id: `pi_${hex(8)}`, amount: 2000, currency: 'brl' } },
      });
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
      return {
        body,
        headers: { 'x-github-event': 'pull_request', 'x-github-delivery': delivery, 'x-github-hook-id': '4242' },
        deliveryId: delivery,
        table: 'github_pull_request',
      };
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
      const body = JSON.stringify({
        type: 'event_callback',
        team_id: 'T1',
        event_id: eventId,
        event_time: 1_764_000_000,
        event: { type: 'app_mention', text: 'hi', user: 'U1' },
      });
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

export async function deliver(
  conn: ConnectionFixture,
  c: Case,
  d: ReturnType<Case['delivery']>,
  options: { secret?: string; timestamp?: number; body?: string; extra?: Record<string, string> } = {},
) {
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

export async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}
