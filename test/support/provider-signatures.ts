// Deliveries signed by the providers' own libraries (Stripe, Octokit, Standard Webhooks, Svix), and for Shopify and
// Slack — which publish no signer — computed exactly as their documentation specifies. Tests use these, never our
// own signer (shared/webhooks/sample-delivery.ts), so a test fails if our verification drifts from the providers'.
import { createHmac } from 'node:crypto';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import type { GenericHmacOptions, VerifyPreset } from '../../shared/webhooks/presets.ts';

const stripe = new Stripe('sk_test_boitata_tests_only');

export interface SignOptions {
  /** Unix seconds the signature claims (defaults to now). */
  timestamp?: number;
  /** webhook-id / svix-id. */
  id?: string;
  /** Standard Webhooks under the svix-* header names, signed by the svix library. */
  svix?: boolean;
  /** The generic preset's settings. */
  generic?: GenericHmacOptions;
}

/** The signature headers a provider would send with `payload`, made by its own library where it has one. */
export async function providerSignature(preset: VerifyPreset, secret: string, payload: string, options: SignOptions = {}): Promise<Record<string, string>> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  switch (preset) {
    case 'stripe':
      return { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }) };
    case 'github':
      return { 'x-hub-signature-256': await githubSign(secret, payload) };
    case 'shopify':
      // shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook-to-ensure-its-coming-from-shopify
      return { 'x-shopify-hmac-sha256': createHmac('sha256', secret).update(payload, 'utf8').digest('base64') };
    case 'slack':
      // api.slack.com/authentication/verifying-requests-from-slack
      return {
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${payload}`, 'utf8').digest('hex')}`,
      };
    case 'standard-webhooks': {
      const id = options.id ?? `msg_${crypto.randomUUID()}`;
      if (options.svix) {
        return { 'svix-id': id, 'svix-timestamp': String(timestamp), 'svix-signature': new SvixWebhook(secret).sign(id, new Date(timestamp * 1000), payload) };
      }
      return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': new StandardWebhook(secret).sign(id, new Date(timestamp * 1000), payload) };
    }
    case 'hmac-sha256': {
      const generic = options.generic ?? { header: 'x-signature', encoding: 'hex', prefix: '' };
      return { [generic.header]: generic.prefix + createHmac('sha256', secret).update(payload, 'utf8').digest(generic.encoding) };
    }
  }
}

/** A signing secret shaped as the provider issues it. */
export function providerSecret(preset: VerifyPreset): string {
  const random = Buffer.from(crypto.getRandomValues(new Uint8Array(24)));
  switch (preset) {
    case 'stripe':
      return `whsec_${random.toString('hex')}`;
    case 'standard-webhooks':
      return `whsec_${random.toString('base64')}`;
    default:
      return random.toString('hex');
  }
}
