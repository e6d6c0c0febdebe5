// The table a provider event lands in when the sender names none: `{preset}_{event type}`, always a valid table name.
import type { VerifyPreset } from './presets.ts';

/** The limit of TABLE_NAME_PATTERN (shared/table-name.ts). */
export const MAX_TABLE_NAME_LENGTH = 128;
const HASH_SUFFIX_LENGTH = 9; // `_` and 8 hex digits

/**
 * `stripe` + `payment_intent.succeeded` → `stripe_payment_intent_succeeded`, `shopify` + `orders/create` →
 * `shopify_orders_create`: lower-cased, every run of characters outside [a-z0-9_] replaced by `_`, trailing `_`
 * trimmed. No event type gives `{preset}_events`. A name past the limit is cut and ends in `_` + 8 hex digits of a
 * hash of the whole name, so two long types that share a prefix still land apart, and the same type always in the
 * same table. Every preset starts with a letter, so the name always does.
 */
export function eventTableName(preset: VerifyPreset, eventType: string | null): string {
  const event = eventType === null ? '' : sanitize(eventType);
  const name = /^_*$/.test(event) ? `${sanitize(preset)}_events` : `${sanitize(preset)}_${event}`;
  if (name.length <= MAX_TABLE_NAME_LENGTH) return name;
  const kept = trimTrailingUnderscores(name.slice(0, MAX_TABLE_NAME_LENGTH - HASH_SUFFIX_LENGTH));
  return `${kept}_${fnv1a32(name)}`;
}

function sanitize(text: string): string {
  return trimTrailingUnderscores(text.toLowerCase().replace(/[^a-z0-9_]+/g, '_'));
}

// A loop, not /_+$/: that regex backtracks quadratically over a long run of `_` followed by anything else.
function trimTrailingUnderscores(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '_') end--;
  return text.slice(0, end);
}

/** FNV-1a, 32 bits, over UTF-16 code units (the name is ASCII by then): deterministic and synchronous. */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
