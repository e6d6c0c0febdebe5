// What both adapters check before a governance statement is rendered (erasure by hash, retention by age): hashes are
// 64 hex digits, a cutoff is canonical timestamp text, and a match names only the text columns the table has. Pure.
import { METADATA_COLUMNS } from '../schema/physical-name.ts';
import { VARCHAR, type ColumnType } from '../schema/type-table.ts';
import { WarehouseError, type HashMatch } from './warehouse.ts';

export const HASH_PATTERN = /^[0-9a-f]{64}$/;
/** What canonicalTimestamp writes: `2026-06-12 10:00:00.123456 +05:30`. */
export const CUTOFF_PATTERN = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} [+-]\d{2}:\d{2}$/;

/** The hashes, each checked and once. The value refused is never quoted: it may be the personal data itself. */
export function checkedHashes(hashes: readonly string[]): string[] {
  hashes.forEach((hash, index) => {
    if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) {
      throw new WarehouseError('permanent', 'invalid_hash', `hash #${index + 1} is not 64 lowercase hex digits; refusing to match it`);
    }
  });
  return [...new Set(hashes)];
}

export function checkedCutoff(cutoff: string): string {
  if (typeof cutoff !== 'string' || !CUTOFF_PATTERN.test(cutoff)) {
    throw new WarehouseError(
      'permanent',
      'invalid_cutoff',
      `cutoff ${JSON.stringify(cutoff)} is not canonical timestamp text (YYYY-MM-DD HH:MM:SS.ffffff +HH:MM)`,
    );
  }
  return cutoff;
}

/** The columns searched for `"<hash>"`: the rescue column when asked for, then `quoted`, each once. */
export function quotedColumns(match: Pick<HashMatch, 'rescue' | 'quoted'>): string[] {
  return [...new Set([...(match.rescue ? [METADATA_COLUMNS.rescue] : []), ...(match.quoted ?? [])])];
}

/**
 * The part of `match` this table can answer: its text columns among `columns` (a column the registry knows but the
 * table lacks — drift — or that is not text cannot hold a hash), the rescue column if asked for and present, and the
 * present text columns of `quoted`. Null when nothing is left to look at (no statement to run: 0 rows).
 */
export function presentMatch(match: HashMatch, tableColumns: ReadonlyMap<string, ColumnType>): HashMatch | null {
  const hashes = checkedHashes(match.hashes);
  const columns = [...new Set(match.columns)].filter((name) => isText(tableColumns.get(name)));
  const rescue = match.rescue && isText(tableColumns.get(METADATA_COLUMNS.rescue));
  const quoted = quotedColumns({ rescue: false, quoted: match.quoted ?? [] }).filter(
    (name) => name !== METADATA_COLUMNS.rescue && isText(tableColumns.get(name)),
  );
  if (hashes.length === 0 || (columns.length === 0 && !rescue && quoted.length === 0)) return null;
  return { columns, hashes, rescue, quoted };
}

function isText(type: ColumnType | undefined): boolean {
  return type !== undefined && (type === VARCHAR || /^varchar\(\d+\)$/.test(type));
}
