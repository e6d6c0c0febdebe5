// A table's quarantine (issue 14, contract `quarantine`): its reserved name, its columns and the row written there for
// a row the contract kept out of the table. Pure; the quarantine-writer.ts writes it with the warehouse port.
import { MAX_TABLE_NAME_LENGTH } from '../../shared/webhooks/event-table-name.ts';
import { RESERVED_TABLE_PREFIX } from '../../shared/table-name.ts';
import { stringifyJson } from '../normalize/parse-payload.ts';
import type { StoredMessage } from '../queue/stored-message.ts';
import { canonicalTimestamp, TIMESTAMP_TZ, VARCHAR, type ColumnType } from '../schema/column-types.ts';
import { loadRowOf } from '../schema/load-row.ts';
import type { LoadRow } from '../warehouse/warehouse.ts';

export const QUARANTINE_PREFIX = `${RESERVED_TABLE_PREFIX}quarantine_`;

/** The quarantine's own columns, beside the metadata columns every table has (message id, row id, received at, …). */
export const QUARANTINE_COLUMNS = {
  /** why the row was kept out: the contract and each field it refused (never a value) */
  reason: '_boitata_quarantine_reason',
  /** the flattened row as JSON, personal data hashed as in the rescue column */
  row: '_boitata_row',
  quarantinedAt: '_boitata_quarantined_at',
} as const;

export const QUARANTINE_COLUMN_TYPES: ReadonlyArray<{ physical: string; type: ColumnType }> = [
  { physical: QUARANTINE_COLUMNS.reason, type: VARCHAR },
  { physical: QUARANTINE_COLUMNS.row, type: VARCHAR },
  { physical: QUARANTINE_COLUMNS.quarantinedAt, type: TIMESTAMP_TZ },
];

const HASH_SUFFIX_LENGTH = 9; // `_` and 8 hex digits

/**
 * `orders` → `_boitata_quarantine_orders`, in the table's schema (the tenant's). A name past the 128-character limit
 * is cut and ends in `_` + 8 hex digits of a hash of the table's name: two long names sharing a prefix get two
 * quarantines, and a table always the same one. The prefix is reserved (shared/table-name.ts): no sender names it.
 */
export function quarantineTableName(table: string): string {
  const name = `${QUARANTINE_PREFIX}${table.toLowerCase()}`;
  if (name.length <= MAX_TABLE_NAME_LENGTH) return name;
  return `${name.slice(0, MAX_TABLE_NAME_LENGTH - HASH_SUFFIX_LENGTH)}_${fnv1a32(table.toLowerCase())}`;
}

/** Whether a warehouse table name is a quarantine (for listings that must tell them from the tables they guard). */
export function isQuarantineTable(name: string): boolean {
  return name.toLowerCase().startsWith(QUARANTINE_PREFIX);
}

/**
 * The quarantine row for a row of `message`: its metadata as the table would have had it, the reason, the row's
 * fields as JSON (`fields` already holds hashes where personal data was), when. Re-written by (message id, row id):
 * a retried or re-driven message replaces its quarantined rows, never adds them twice.
 */
export function quarantineRow(message: StoredMessage, rowId: number, reason: string, fields: Readonly<Record<string, unknown>>, at: Date): LoadRow {
  return loadRowOf(message, rowId, {
    rescued: {},
    cells: new Map([
      [QUARANTINE_COLUMNS.reason, { type: VARCHAR, text: reason }],
      [QUARANTINE_COLUMNS.row, { type: VARCHAR, text: stringifyJson(fields) }],
      [QUARANTINE_COLUMNS.quarantinedAt, { type: TIMESTAMP_TZ, text: canonicalTimestamp(at.toISOString()) }],
    ]),
  });
}

/** FNV-1a, 32 bits, as hex: deterministic and synchronous (as shared/webhooks/event-table-name.ts names long tables). */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
