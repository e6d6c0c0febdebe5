// Renders the governance statements (erasure by hash, retention by age, purge, drop) as Trino SQL. Every identifier
// is quoted; hashes and cutoffs are checked (governance-input.ts) and then escaped literals. Pure.
import { METADATA_COLUMNS } from '../schema/physical-name.ts';
import { checkedCutoff, checkedHashes, quotedColumns } from './governance-input.ts';
import { quoteIdentifier, quoteString } from './sql-quote.ts';
import { qualifiedName } from './trino-sql.ts';
import type { HashMatch, TableRef } from './warehouse.ts';

/** `count`: how many rows; `delete`: deletes them (Trino answers how many); `keys`: which (file, message, row). */
export type MatchStatement = 'count' | 'delete' | 'keys';

/** The hash in any of the columns, or `"<hash>"` inside the rescue JSON or another quoted column's. */
export function renderMatchCondition(match: HashMatch): string {
  const hashes = checkedHashes(match.hashes);
  const list = hashes.map(quoteString).join(', ');
  const parts = match.columns.map((column) => `${quoteIdentifier(column)} IN (${list})`);
  for (const column of quotedColumns(match)) {
    for (const hash of hashes) parts.push(`strpos(${quoteIdentifier(column)}, ${quoteString(`"${hash}"`)}) > 0`);
  }
  return `(${parts.join(' OR ')})`;
}

function renderOne(kind: MatchStatement, ref: TableRef, condition: string): string {
  const table = qualifiedName(ref);
  switch (kind) {
    case 'count':
      return `SELECT count(*) FROM ${table} WHERE ${condition}`;
    case 'delete':
      return `DELETE FROM ${table} WHERE ${condition}`;
    case 'keys':
      return (
        `SELECT "$path", ${quoteIdentifier(METADATA_COLUMNS.messageId)}, CAST(${quoteIdentifier(METADATA_COLUMNS.rowId)} AS varchar) ` +
        `FROM ${table} WHERE ${condition}`
      );
  }
}

/**
 * The statements for `match`, the hashes split so that each stays under `maxLength` characters (Trino's
 * query.max-length). None when there is nothing to look at (no hash, or no column and no quoted column).
 */
export function renderMatching(kind: MatchStatement, ref: TableRef, match: HashMatch, maxLength: number): string[] {
  const hashes = checkedHashes(match.hashes);
  if (hashes.length === 0 || (match.columns.length === 0 && quotedColumns(match).length === 0)) return [];
  const render = (chunk: string[]) => renderOne(kind, ref, renderMatchCondition({ ...match, hashes: chunk }));
  // Every hash (all 64 characters) adds the same text: a quoted hash per column and one strpos term per quoted column.
  const [one, two] = ['0'.repeat(64), '1'.repeat(64)];
  const perHash = render([one, two]).length - render([one]).length;
  const fixed = render([one]).length - perHash;
  const size = Math.max(1, Math.floor((maxLength - fixed - 64) / perHash));
  const statements: string[] = [];
  for (let i = 0; i < hashes.length; i += size) statements.push(render(hashes.slice(i, i + size)));
  return statements;
}

function receivedBefore(cutoff: string): string {
  return `${quoteIdentifier(METADATA_COLUMNS.receivedAt)} < TIMESTAMP ${quoteString(checkedCutoff(cutoff))}`;
}

export function renderCountReceivedBefore(ref: TableRef, cutoff: string): string {
  return `SELECT count(*) FROM ${qualifiedName(ref)} WHERE ${receivedBefore(cutoff)}`;
}

export function renderDeleteReceivedBefore(ref: TableRef, cutoff: string): string {
  return `DELETE FROM ${qualifiedName(ref)} WHERE ${receivedBefore(cutoff)}`;
}

/** A metadata table of the Iceberg table (`$properties`, `$files`, `$snapshots`, …). */
export function metadataTable(ref: TableRef, suffix: string): string {
  return qualifiedName({ ...ref, table: `${ref.table}$${suffix}` });
}

export function renderFormatVersion(ref: TableRef): string {
  return `SELECT value FROM ${metadataTable(ref, 'properties')} WHERE key = 'format-version'`;
}

/** Delete files (content 1: position deletes, 2: equality deletes) still in the current snapshot. */
export function renderDeleteFileCount(ref: TableRef): string {
  return `SELECT count(*) FROM ${metadataTable(ref, 'files')} WHERE content <> 0`;
}

/**
 * The purge, in order: optimize rewrites every data file that has deletes (Trino 476 picks such a file whatever its
 * size, so a 1-byte threshold rewrites those and leaves the other files alone), then every older snapshot is expired
 * (expiry deletes the files only they referenced: the erased rows' files), then orphan files older than an hour are
 * removed. Not younger ones: a write still committing (any processor's, any table's batch) has files no snapshot
 * references yet, and removing them would leave its commit pointing at missing files. 0 s and 1 h need the catalog's
 * min-retention settings lowered (scripts/trino.sh sets both to 0s).
 */
/** Orphan files younger than this may belong to a write still committing: never removed by a purge. */
export const ORPHAN_MIN_AGE = '1h';

export function renderPurge(ref: TableRef): { rewrite: string; expire: string; removeOrphans: string } {
  const table = qualifiedName(ref);
  return {
    rewrite: `ALTER TABLE ${table} EXECUTE optimize(file_size_threshold => '1B')`,
    expire: `ALTER TABLE ${table} EXECUTE expire_snapshots(retention_threshold => '0s')`,
    removeOrphans: `ALTER TABLE ${table} EXECUTE remove_orphan_files(retention_threshold => '${ORPHAN_MIN_AGE}')`,
  };
}

export function renderDropTable(ref: TableRef): string {
  return `DROP TABLE IF EXISTS ${qualifiedName(ref)}`;
}

export function renderDropSchema(ref: TableRef): string {
  return `DROP SCHEMA IF EXISTS ${quoteIdentifier(ref.catalog)}.${quoteIdentifier(ref.schema)}`;
}
