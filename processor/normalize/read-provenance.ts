// Reads the provider provenance the edge recorded on a queued message (boitata_inbound_queue.provenance) into the
// values of the reserved `_boitata_*` provenance columns. Pure.
//
// Defensive by design: the column is written by an edge that may be older or newer than this processor, so each
// value is checked on its own, and one that is missing, of the wrong type or unreadable becomes NULL in its column.
// Provenance is never a reason to fail a batch or dead-letter a message: the payload is what the sender wants landed.
import { isIsoTimestamp } from '../../shared/timestamps.ts';
import { canonicalTimestamp } from '../schema/column-types.ts';

/**
 * What a verified provider delivery said about itself, one value per reserved column; null where it said nothing
 * (GitHub has no shop domain) or said it unreadably. The queue's jsonb spells the keys in snake_case.
 */
export interface MessageProvenance {
  /** the verification preset: `stripe`, `github`, `shopify`, `slack`, `standard-webhooks`, `hmac-sha256` */
  provider: string | null;
  /** Stripe's event id, X-GitHub-Delivery, X-Shopify-Webhook-Id, Slack's event_id, webhook-id / svix-id */
  deliveryId: string | null;
  /** Stripe's `type`, X-GitHub-Event, X-Shopify-Topic, Slack's `event.type`, Standard Webhooks' `type` */
  eventType: string | null;
  /** when the provider says the event happened or was sent, as canonical timestamp text (see canonicalTimestamp) */
  providerTimestamp: string | null;
  /** X-Shopify-Shop-Domain */
  shopDomain: string | null;
  /** X-GitHub-Hook-ID */
  hookId: string | null;
}

/**
 * Longer than any identifier, topic or domain a provider sends (a DNS name stops at 253): text past it is not
 * provenance but noise, and is not copied into every row of the message.
 */
const MAX_TEXT_LENGTH = 1024;

/** The stored jsonb (as node-postgres parses it) → the column values; null for a message that is not a provider delivery. */
export function readProvenance(stored: unknown): MessageProvenance | null {
  if (stored === null || stored === undefined) return null;
  if (typeof stored !== 'object' || Array.isArray(stored)) return null; // not the recorded shape: every column NULL
  const record = stored as Record<string, unknown>;
  return {
    provider: text(record['provider']),
    deliveryId: text(record['delivery_id']),
    eventType: text(record['event_type']),
    providerTimestamp: timestamp(record['provider_timestamp']),
    shopDomain: text(record['shop_domain']),
    hookId: hookId(record['hook_id']),
  };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT_LENGTH ? value : null;
}

/** GitHub's hook id is a number in its payloads (`hook_id`) and text in its header: either is kept, as text. */
function hookId(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return text(value);
}

/**
 * Only an ISO-8601 instant with its offset that is a real calendar time (shared/timestamps.ts): anything else would
 * be refused by the warehouse's timestamp column and fail the whole batch, so it is NULL instead.
 */
function timestamp(value: unknown): string | null {
  return typeof value === 'string' && value.length <= 64 && isIsoTimestamp(value) ? canonicalTimestamp(value) : null;
}
