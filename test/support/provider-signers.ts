// Provider deliveries signed by the providers' own libraries (Stripe, Octokit, Standard Webhooks, Svix), and for
// Shopify and Slack, which publish no signer, by the recipe their docs give (HMAC-SHA256 with node:crypto).
import { createHmac, randomBytes } from 'node:crypto';
import { sign as signGithub } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';

export const stripe = new Stripe('sk_test_x');

export interface SignedDelivery {
  headers: Record<string, string>;
  body: string;
}

export interface ProviderSigner {
  /** A fresh secret in the form the provider's dashboard shows. */
  newSecret(): string;
  /**
   * `timestamp` in Unix seconds: the time the provider signs (ignored by schemes without one); `id` the message id
   * of the schemes that sign one (Standard Webhooks, Svix), random when not given.
   */
  sign(secret: string, body: string, timestamp: number, id?: string): Promise<SignedDelivery>;
  /** The headers whose absence is `signature_missing`. */
  signatureHeaders: string[];
  /** The header carrying the signed timestamp, when the scheme signs one. */
  timestampHeader: string | null;
}

const standardSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export type SignerName = 'stripe' | 'github' | 'shopify' | 'slack' | 'standard-webhooks' | 'svix';

export const signers: Record<SignerName, ProviderSigner> = {
  stripe: {
    newSecret: () => `whsec_${randomBytes(24).toString('hex')}`,
    sign: async (secret, body, timestamp) => ({
      headers: { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }) },
      body,
    }),
    signatureHeaders: ['stripe-signature'],
    timestampHeader: null, // inside Stripe-Signature (t=)
  },
  github: {
    newSecret: () => randomBytes(20).toString('hex'),
    sign: async (secret, body) => ({ headers: { 'x-hub-signature-256': await signGithub(secret, body) }, body }),
    signatureHeaders: ['x-hub-signature-256'],
    timestampHeader: null,
  },
  shopify: {
    newSecret: () => `shpss_${randomBytes(16).toString('hex')}`,
    // shopify.dev "Verify webhooks": base64 of HMAC-SHA256 over the raw body, keyed with the app's client secret.
    sign: async (secret, body) => ({
      headers: { 'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body, 'utf8').digest('base64') },
      body,
    }),
    signatureHeaders: ['x-shopify-hmac-sha256'],
    timestampHeader: null,
  },
  slack: {
    newSecret: () => randomBytes(16).toString('hex'),
    // api.slack.com "Verifying requests from Slack": v0= hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
    sign: async (secret, body, timestamp) => ({
      headers: {
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`, 'utf8').digest('hex')}`,
      },
      body,
    }),
    signatureHeaders: ['x-slack-signature', 'x-slack-request-timestamp'],
    timestampHeader: 'x-slack-request-timestamp',
  },
  'standard-webhooks': {
    newSecret: standardSecret,
    sign: async (secret, body, timestamp, id = `msg_${randomBytes(12).toString('hex')}`) => {
      return {
        headers: {
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': new StandardWebhook(secret).sign(id, new Date(timestamp * 1000), body),
        },
        body,
      };
    },
    signatureHeaders: ['webhook-signature', 'webhook-id', 'webhook-timestamp'],
    timestampHeader: 'webhook-timestamp',
  },
  svix: {
    newSecret: standardSecret,
    sign: async (secret, body, timestamp, id = `msg_${randomBytes(12).toString('hex')}`) => {
      return {
        headers: {
          'svix-id': id,
          'svix-timestamp': String(timestamp),
          'svix-signature': new SvixWebhook(secret).sign(id, new Date(timestamp * 1000), body),
        },
        body,
      };
    },
    signatureHeaders: ['svix-signature', 'svix-id', 'svix-timestamp'],
    timestampHeader: 'svix-timestamp',
  },
};
