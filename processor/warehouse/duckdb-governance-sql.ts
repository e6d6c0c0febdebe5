// Renders the governance statements (erasure by hash, retention by age, drop) as DuckDB SQL. Identifiers are quoted;
// the hashes travel as a VARCHAR list parameter ($1), checked first (governance-input.ts); a cutoff is checked and
// then an escaped literal. Pure.
import { METADATA_COLUMNS } from '../schema/physical-name.ts';
import { checkedCutoff, quotedColumns } from './governance-input.ts';
import { qualifiedName } from './duckdb-sql.ts';
import { quoteIdentifier, quoteString } from './sql-quote.ts';
import type { HashMatch, TableRef } from './warehouse.ts';

type Match = Pick<HashMatch, 'columns' | 'rescue' | 'quoted'>;

/** Parameter: $1 the hashes. A hash in any of the columns, or `"<hash>"` inside the rescue JSON or a quoted column's. */
export function renderMatchCondition(match: Match): string {
  const parts = match.columns.map((column) => `t.${quoteIdentifier(column)} IN (SELECT unnest($1))`);
  for (const column of quotedColumns(match)) {
    parts.push(`EXISTS (SELECT 1 FROM unnest($1) AS u(h) WHERE strpos(t.${quoteIdentifier(column)}, '"' || u.h || '"') > 0)`);
  }
  if (parts.length === 0) throw new Error('refusing to render a match on no column');
  return `(${parts.join(' OR ')})`;
}

/** Parameter: $1 the hashes. */
export function renderCountMatching(ref: TableRef, match: Match): string {
  return `SELECT count(*) FROM ${qualifiedName(ref)} AS t WHERE ${renderMatchCondition(match)}`;
}

/** Parameter: $1 the hashes. */
export function renderDeleteMatching(ref: TableRef, match: Match): string {
  return `DELETE FROM ${qualifiedName(ref)} AS t WHERE ${renderMatchCondition(match)}`;
}

/** DuckDB reads an offset only right after the time: `… 10:00:00.123456+05:30`. */
function receivedBefore(cutoff: string): string {
  const literal = checkedCutoff(cutoff).replace(/ ([+-]\d{2}:\d{2})$/, '$1');
  return `${quoteIdentifier(METADATA_COLUMNS.receivedAt)} < TIMESTAMPTZ ${quoteString(literal)}`;
}

export function renderCountReceivedBefore(ref: TableRef, cutoff: string): string {
  return `SELECT count(*) FROM ${qualifiedName(ref)} WHERE ${receivedBefore(cutoff)}`;
}

export function renderDeleteReceivedBefore(ref: TableRef, cutoff: string): string {
  return `DELETE FROM ${qualifiedName(ref)} WHERE ${receivedBefore(cutoff)}`;
}

export function renderDropTable(ref: TableRef): string {
  return `DROP TABLE IF EXISTS ${qualifiedName(ref)}`;
}

/** Parameter: $1 the schema. The tables still in it (a schema is dropped only once empty, as on Trino). */
export const SCHEMA_TABLES_SQL = 'SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = $1';

export function renderDropSchema(ref: TableRef): string {
  return `DROP SCHEMA IF EXISTS ${quoteIdentifier(ref.schema)}`;
}
