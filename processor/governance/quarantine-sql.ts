// The statements the operator runs on a quarantine table (`_boitata_quarantine_<table>`), in the Trino and DuckDB
// dialects: its summary, its reasons by count, the messages it holds, and the removal of re-driven rows. Pure. They
// read metadata only (counts, times, reasons, message ids), never `_boitata_row`: the CLI never shows row values.
import { canonicalTimestamp } from '../schema/column-types.ts';
import { METADATA_COLUMNS } from '../schema/physical-name.ts';
import { quoteIdentifier, quoteString } from '../warehouse/sql-quote.ts';
import type { TableRef } from '../warehouse/warehouse.ts';
import { QUARANTINE_COLUMNS } from './quarantine-table.ts';

export type Dialect = 'trino' | 'duckdb';

const AT = quoteIdentifier(QUARANTINE_COLUMNS.quarantinedAt);
const MESSAGE = quoteIdentifier(METADATA_COLUMNS.messageId);
const REASON = quoteIdentifier(QUARANTINE_COLUMNS.reason);

export function qualified(dialect: Dialect, ref: TableRef): string {
  const schemaAndTable = `${quoteIdentifier(ref.schema)}.${quoteIdentifier(ref.table)}`;
  return dialect === 'trino' ? `${quoteIdentifier(ref.catalog)}.${schemaAndTable}` : schemaAndTable;
}

/** A timestamp with time zone as ISO-8601 text in UTC with microseconds (`2026-06-12T10:00:00.123456Z`). */
function isoUtc(dialect: Dialect, expression: string): string {
  // DuckDB's results come back as that text already (duckdb-values.ts jsonFriendly).
  return dialect === 'trino' ? `to_iso8601(${expression} AT TIME ZONE 'UTC')` : expression;
}

/** ISO-8601 (or canonical) text → a timestamp(6) with time zone literal both dialects read. */
export function timestampLiteral(dialect: Dialect, text: string): string {
  const canonical = canonicalTimestamp(text);
  if (dialect === 'trino') return `CAST(${quoteString(canonical)} AS timestamp(6) with time zone)`;
  // DuckDB reads a space before the offset as a time zone name: `… 10:00:00.123456+00:00`.
  return `CAST(${quoteString(canonical.replace(/ (?=[+-]\d{2}:\d{2}$)/, ''))} AS TIMESTAMPTZ)`;
}

/** The tables of a tenant's schema whose names start with `prefix`: one statement for every quarantine of a tenant. */
export function renderTablesLike(dialect: Dialect, ref: TableRef, prefix: string): string {
  const info = dialect === 'trino' ? `${quoteIdentifier(ref.catalog)}.information_schema.tables` : 'information_schema.tables';
  // `_` is a LIKE wildcard: the prefix is compared with substr instead.
  return `SELECT table_name FROM ${info} WHERE table_schema = ${quoteString(ref.schema)}
   AND substr(table_name, 1, ${prefix.length}) = ${quoteString(prefix)}`;
}

/** rows, oldest, newest (ISO text), messages. */
export function renderSummary(dialect: Dialect, ref: TableRef): string {
  return `SELECT count(*) AS "rows", ${isoUtc(dialect, `min(${AT})`)} AS oldest, ${isoUtc(dialect, `max(${AT})`)} AS newest,
       count(DISTINCT ${MESSAGE}) AS messages
  FROM ${qualified(dialect, ref)}`;
}

/** The reasons by how many rows each holds, the most common first. */
export function renderReasons(dialect: Dialect, ref: TableRef, limit: number): string {
  return `SELECT ${REASON} AS reason, count(*) AS "rows" FROM ${qualified(dialect, ref)} GROUP BY ${REASON} ORDER BY 2 DESC, 1 LIMIT ${Math.trunc(limit)}`;
}

/** Each message holding quarantined rows, with how many; plus the latest quarantine time of all (ISO text). */
export function renderMessages(dialect: Dialect, ref: TableRef): string {
  return `SELECT ${MESSAGE} AS message_id, count(*) AS "rows", ${isoUtc(dialect, `max(${AT})`)} AS newest
  FROM ${qualified(dialect, ref)} GROUP BY ${MESSAGE}`;
}

/**
 * Removes the quarantined rows of these messages quarantined at or before `cutoff` (ISO text): the rows a re-drive
 * took, never one the re-drive itself quarantined again (written after the cutoff).
 */
export function renderDeleteRedriven(dialect: Dialect, ref: TableRef, messageIds: readonly string[], cutoff: string): string {
  if (messageIds.length === 0) throw new Error('renderDeleteRedriven: no message ids');
  return `DELETE FROM ${qualified(dialect, ref)}
 WHERE ${MESSAGE} IN (${messageIds.map(quoteString).join(', ')}) AND ${AT} <= ${timestampLiteral(dialect, cutoff)}`;
}
