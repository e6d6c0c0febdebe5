// Maps a logical field name (`location.city`, `Phone Number`) to a safe, unique physical column name. Pure.

/** Columns Boitatá adds to every table; no payload field may take these names. */
export const METADATA_COLUMNS = {
  messageId: '_boitata_message_id',
  rowId: '_boitata_row_id',
  receivedAt: '_boitata_received_at',
  tenantId: '_boitata_tenant_id',
  endpoint: '_boitata_endpoint',
  sequence: '_boitata_sequence',
  rescue: '_boitata_rescue',
} as const;

export const METADATA_COLUMN_TYPES: ReadonlyArray<readonly [string, string]> = [
  [METADATA_COLUMNS.messageId, 'varchar'],
  [METADATA_COLUMNS.rowId, 'integer'],
  [METADATA_COLUMNS.receivedAt, 'timestamp(6) with time zone'],
  [METADATA_COLUMNS.tenantId, 'varchar'],
  [METADATA_COLUMNS.endpoint, 'varchar'],
  [METADATA_COLUMNS.sequence, 'bigint'],
  [METADATA_COLUMNS.rescue, 'varchar'],
];

const MAX_LENGTH = 128;

/**
 * Lowercase (the warehouse folds case); `.` becomes `__` so a flattened field stays readable; any other
 * character outside [a-z0-9_] becomes `_`. Names that would shadow the metadata columns get an `f` prefix,
 * long names are cut and suffixed with a hash, and a name already taken gets `_2`, `_3`, ...
 */
export function physicalColumnName(logical: string, taken: ReadonlySet<string>): string {
  let base = logical.toLowerCase().replaceAll('.', '__').replace(/[^a-z0-9_]/g, '_');
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
