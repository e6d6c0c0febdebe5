// The signature schemes a connection can verify (one preset each), and what the edge learns from a verified delivery.

export const VERIFY_PRESETS = ['stripe', 'github', 'shopify', 'slack', 'standard-webhooks', 'hmac-sha256'] as const;
export type VerifyPreset = (typeof VERIFY_PRESETS)[number];

export function isVerifyPreset(value: unknown): value is VerifyPreset {
  return typeof value === 'string' && (VERIFY_PRESETS as readonly string[]).includes(value);
}

/** The generic preset's settings: which header carries the signature, how it is encoded, and a prefix before it. */
export interface GenericHmacOptions {
  /** Lower-case header name, e.g. `x-signature`. */
  header: string;
  encoding: 'hex' | 'base64';
  /** Text before the signature in the header value (`sha256=`), or '' for none. */
  prefix: string;
}

/** Stripe, Slack and Standard Webhooks sign a timestamp; a delivery older or newer than this is refused. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureFailureCode = 'signature_missing' | 'signature_invalid' | 'timestamp_out_of_tolerance';

export type VerifyResult = { ok: true } | { ok: false; code: SignatureFailureCode; message: string };

/** Request headers with lower-case names (a plain object: it crosses the Durable Object RPC boundary). */
export type HeaderMap = Readonly<Record<string, string>>;

/**
 * What a verified delivery says about itself, kept in the reserved `_boitata_*` columns of every row it lands
 * (the same names whichever the provider): see processor/schema/physical-name.ts.
 */
export interface Provenance {
  provider: VerifyPreset;
  /** Stripe's event `id`, X-GitHub-Delivery, X-Shopify-Webhook-Id, Slack's `event_id`, `webhook-id`/`svix-id`. */
  deliveryId: string | null;
  /** Stripe's `type`, X-GitHub-Event, X-Shopify-Topic, Slack's `event.type`, Standard Webhooks' `type`. */
  eventType: string | null;
  /** When the provider says the event happened or was sent, as an ISO-8601 instant, or null. */
  providerTimestamp: string | null;
  /** X-Shopify-Shop-Domain. */
  shopDomain: string | null;
  /** X-GitHub-Hook-ID. */
  hookId: string | null;
}
