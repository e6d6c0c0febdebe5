// Maps a logical field name (`location.city`, `Phone Number`) to a safe, unique physical column name. Pure.
// The `_boitata_` prefix is reserved for metadata Boitatá itself sets, never a sender: every metadata column is
// named `_boitata_<what>` and listed here, and a payload field whose name would start with `_boitata_` is
// renamed (see physicalColumnName), so a row can never fill or shadow one. A new metadata column joins this list.
import type { ColumnType } from './type-table.ts';

/** Columns Boitatá adds to every table; no payload field may take these names. */
export const METADATA_COLUMNS = {
  messageId: '_boitata_message_id',
  rowId: '_boitata_row_id',
  receivedAt: '_boitata_received_at',
  tenantId: '_boitata_tenant_id',
  endpoint: '_boitata_endpoint',
  sequence: '_boitata_sequence',
  rescue: '_boitata_rescue',
  /** the credential the edge verified (`connection:<uuid>` or `api_key:<uuid>`), whatever the payload claims */
  credential: '_boitata_credential',
  /** the source a source-scoped API key proved (events); NULL for every other credential */
  sourceId: '_boitata_source_id',
  // What a verified provider delivery said about itself (issue 11), named the same whatever the provider, on every
  // row of the delivery; NULL for every other message, and where the provider says nothing (GitHub has no shop).
  /** the verification preset the connection checked the signature with: `stripe`, `github`, `shopify`, … */
  provider: '_boitata_provider',
  /** the provider's id of the delivery (also the message's idempotency key): Stripe's `evt_…`, X-GitHub-Delivery, … */
  deliveryId: '_boitata_delivery_id',
  /** the provider's event type or topic: `payment_intent.succeeded`, `pull_request`, `orders/create`, … */
  eventType: '_boitata_event_type',
  /** when the provider says the event happened or was sent */
  providerTimestamp: '_boitata_provider_timestamp',
  /** Shopify's X-Shopify-Shop-Domain */
  shopDomain: '_boitata_shop_domain',
  /** GitHub's X-GitHub-Hook-ID */
  hookId: '_boitata_hook_id',
} as const;

export type MetadataKey = keyof typeof METADATA_COLUMNS;

// A Record, so a metadata column added above without a type (or, in the adapters, without a value) fails to compile.
const METADATA_TYPES: Readonly<Record<MetadataKey, ColumnType>> = {
  messageId: 'varchar',
  rowId: 'integer',
  receivedAt: 'timestamp(6) with time zone',
  tenantId: 'varchar',
  endpoint: 'varchar',
  sequence: 'bigint',
  rescue: 'varchar',
  credential: 'varchar',
  sourceId: 'varchar',
  provider: 'varchar',
  deliveryId: 'varchar',
  eventType: 'varchar',
  providerTimestamp: 'timestamp(6) with time zone',
  shopDomain: 'varchar',
  hookId: 'varchar',
};

/** The metadata in column order: tables are created, and rows written, in this order. */
export const METADATA_KEYS = Object.keys(METADATA_COLUMNS) as MetadataKey[];

export const METADATA_COLUMN_TYPES: ReadonlyArray<readonly [string, ColumnType]> = METADATA_KEYS.map(
  (key) => [METADATA_COLUMNS[key], METADATA_TYPES[key]] as const,
);

/**
 * The provenance columns are only on tables that received a verified provider delivery: six more NULL columns on
 * every table cost DuckDB a buffer per column and table (a 2,000-table message ran out of its 640 MB with them).
 * A table gets them when its first provider delivery lands; rows without provenance leave them NULL.
 */
export const PROVENANCE_KEYS: ReadonlySet<MetadataKey> = new Set(['provider', 'deliveryId', 'eventType', 'providerTimestamp', 'shopDomain', 'hookId']);

/** The metadata keys a write or a new table carries: all of them, or all but the provenance columns. */
export function metadataKeys(provenance: boolean): readonly MetadataKey[] {
  return provenance ? METADATA_KEYS : METADATA_KEYS.filter((key) => !PROVENANCE_KEYS.has(key));
}

export function metadataColumnTypes(provenance: boolean): ReadonlyArray<readonly [string, ColumnType]> {
  return metadataKeys(provenance).map((key) => [METADATA_COLUMNS[key], METADATA_TYPES[key]] as const);
}

/** Whether any of these rows came from a verified provider delivery (their write carries the provenance columns). */
export function carriesProvenance(rows: ReadonlyArray<{ provenance: unknown }>): boolean {
  return rows.some((row) => row.provenance !== null && row.provenance !== undefined);
}

const MAX_LENGTH = 128;

/**
 * Lowercase (the warehouse folds case); `.` becomes `__` so a flattened field stays readable; any other
 * character outside [a-z0-9_] becomes `_`. Names that would shadow the metadata columns get an `f` prefix,
 * long names are cut and suffixed with a hash, and a name already taken gets `_2`, `_3`, ...
 */
export function physicalColumnName(logical: string, taken: ReadonlySet<string>): string {
  let base = logical
    .toLowerCase()
    .replaceAll('.', '__')
    .replace(/[^a-z0-9_]/g, '_');
  if (base === '' || base.startsWith('_boitata_')) base = `f${base}`;
  if (base.length > MAX_LENGTH - 4) base = `${base.slice(0, MAX_LENGTH - 13)}_${hash(logical)}`;
  let candidate = base;
  for (let suffix = 2; taken.has(candidate); suffix++) candidate = `${base}_${suffix}`;
  return candidate;
}

/** 8 hex characters of FNV-1a: stable across runs and machines. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
