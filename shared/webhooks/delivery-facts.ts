// What a verified provider delivery says about itself (delivery id, event type, timestamps), Slack's challenge and
// GitHub's form-encoded body. Pure: headers and the parsed body in, bounded strings out, whatever the body holds.
import { isIsoTimestamp } from '../timestamps.ts';
import type { HeaderMap, Provenance, VerifyPreset } from './presets.ts';
import { standardWebhooksPrefix } from './signed-message.ts';

export { eventTableName } from './event-table-name.ts';

/** The header names whose presence marks a request as a provider's delivery, lower-case. */
export const SIGNATURE_HEADERS: readonly string[] = [
  'stripe-signature',
  'x-hub-signature-256',
  'x-shopify-hmac-sha256',
  'shopify-hmac-sha256',
  'x-slack-signature',
  'webhook-signature',
  'svix-signature',
];

/** Longer types and domains than this are no provider's: a hostile body cannot make a giant column. */
export const MAX_FACT_LENGTH = 255;
/** Delivery ids may be longer (the edge hashes one that is not usable as a key as it is); the processor keeps 1,024. */
export const MAX_DELIVERY_ID_LENGTH = 1024;

// A NUL, a control character or a lone surrogate cannot be an id, and some of them cannot be stored in jsonb.
const UNFIT_TEXT = /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// 9999-12-31T23:59:59Z: the last instant an ISO-8601 timestamp writes with four year digits.
const MAX_UNIX_SECONDS = 253_402_300_799;

export function deliveryFacts(preset: VerifyPreset, headers: HeaderMap, value: unknown): Provenance {
  const body = isRecord(value) ? value : {};
  const facts: Provenance = { provider: preset, deliveryId: null, eventType: null, providerTimestamp: null, shopDomain: null, hookId: null };
  switch (preset) {
    case 'stripe':
      return {
        ...facts,
        deliveryId: fact(body['id'], MAX_DELIVERY_ID_LENGTH),
        eventType: fact(body['type']),
        providerTimestamp: fromUnixSeconds(body['created']),
      };
    case 'github':
      return {
        ...facts,
        deliveryId: fact(headers['x-github-delivery'], MAX_DELIVERY_ID_LENGTH),
        eventType: fact(headers['x-github-event']),
        hookId: fact(headers['x-github-hook-id']),
      };
    case 'shopify':
      // The `x-` headers are Shopify's webhooks; its newer event subscriptions send the same without the prefix.
      return {
        ...facts,
        deliveryId: fact(headers['x-shopify-webhook-id'] ?? headers['shopify-webhook-id'], MAX_DELIVERY_ID_LENGTH),
        eventType: fact(headers['x-shopify-topic'] ?? headers['shopify-topic']),
        providerTimestamp: fromIsoText(headers['x-shopify-triggered-at'] ?? headers['shopify-triggered-at']),
        shopDomain: fact(headers['x-shopify-shop-domain'] ?? headers['shopify-shop-domain']),
      };
    case 'slack': {
      // Every Events API delivery has the top-level type `event_callback`; the inner event's type says what happened.
      // Other top-level types (`url_verification`, `app_rate_limited`) have no inner event and are their own type.
      const event = isRecord(body['event']) ? body['event'] : null;
      const eventType = body['type'] === 'event_callback' && event !== null ? fact(event['type']) : fact(body['type']);
      return {
        ...facts,
        deliveryId: fact(body['event_id'], MAX_DELIVERY_ID_LENGTH),
        eventType,
        providerTimestamp: fromUnixSeconds(body['event_time']) ?? fromUnixSeconds(headers['x-slack-request-timestamp']),
      };
    }
    case 'standard-webhooks': {
      // The signed id and timestamp: the set the signature was verified with, never the other (unsigned) one.
      const prefix = standardWebhooksPrefix(headers);
      return {
        ...facts,
        deliveryId: fact(headers[`${prefix}id`], MAX_DELIVERY_ID_LENGTH),
        eventType: fact(body['type']),
        providerTimestamp: fromUnixSeconds(headers[`${prefix}timestamp`]),
      };
    }
    case 'hmac-sha256':
      return facts;
  }
}

/** The challenge to echo for Slack's `{"type": "url_verification", "challenge": …}`, else null. */
export function slackChallenge(value: unknown): string | null {
  return isRecord(value) && value['type'] === 'url_verification' && typeof value['challenge'] === 'string' ? fact(value['challenge']) : null;
}

/**
 * The `payload` field of a form-encoded body (GitHub's `application/x-www-form-urlencoded` content type puts the
 * JSON there), URL-decoded with `+` as a space; null when the field is absent.
 */
export function decodeFormPayload(bytes: Uint8Array): string | null {
  return new URLSearchParams(new TextDecoder().decode(bytes)).get('payload');
}

/** A string or finite number as a bounded, storable string; null for anything else. */
function fact(value: unknown, maxLength = MAX_FACT_LENGTH): string | null {
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
  if (text === null || text.length === 0 || text.length > maxLength || UNFIT_TEXT.test(text)) return null;
  return text;
}

/** Unix seconds (a number, or digits in a header) as an ISO-8601 instant; null when it is not a sane instant. */
function fromUnixSeconds(value: unknown): string | null {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,12}(\.\d{1,9})?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_UNIX_SECONDS) return null;
  return new Date(Math.floor(seconds * 1000)).toISOString();
}

/** An ISO-8601 header (Shopify's `X-Shopify-Triggered-At`, with up to nanoseconds) normalized to milliseconds. */
function fromIsoText(value: string | undefined): string | null {
  const text = fact(value);
  if (text === null || !isIsoTimestamp(text)) return null;
  // Milliseconds are all a JavaScript Date holds; the digits after them are dropped before parsing, not rounded.
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
