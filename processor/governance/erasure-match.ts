// What an erasure looks for, decided before anything is touched: the `--match column=value` pairs read and checked,
// and, per table of the tenant, which physical PII columns a match name reaches (its own column or an alias). Pure.
// A value is never quoted back in a message: only column names are.
import { columnFor, type ColumnLookup, type RegisteredColumn } from '../schema/table-schema.ts';

/** One subject key as asked: a column (or alias) name and the value exactly as sent. */
export interface MatchSpec {
  column: string;
  value: string;
}

/** A request that cannot be run as written; the message says what to fix and never holds a value. */
export class ErasureInputError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ErasureInputError';
    this.code = code;
  }
}

/** More keys than this is a bulk deletion, not a subject's erasure. */
export const MAX_MATCHES = 50;
/** The longest value hashed (a PII column holds a hash of anything, but a subject key is a short value). */
export const MAX_VALUE_LENGTH = 4_096;

/**
 * `email=ana@example.com` texts (`--match`, labelled `--match #N`) and the lines of a `--match-file` (labelled
 * `<file> line N`; its line endings are not part of a value, empty lines are skipped) → specs, split at the first
 * `=`; the value is kept exactly, spaces included.
 */
export function parseMatchTexts(texts: readonly string[] | undefined, file?: { name: string; text: string }): MatchSpec[] {
  const entries = (texts ?? []).map((text, index) => ({ text, where: `--match #${index + 1}` }));
  if (file !== undefined) {
    file.text.split(/\r?\n/).forEach((text, index) => {
      if (text !== '') entries.push({ text, where: `--match-file ${file.name} line ${index + 1}` });
    });
  }
  if (entries.length === 0) {
    const empty = file === undefined ? '' : ` (${file.name} holds no column=value line)`;
    throw new ErasureInputError(
      'match_required',
      `give the subject to erase${empty}: --match column=value (repeat --match for each variant of the value), --match column=- ` +
        '(the value from standard input: it stays out of the shell history and the process list) or --match-file F (one column=value a line)',
    );
  }
  return checkMatches(
    entries.map(({ text, where }) => {
      const at = text.indexOf('=');
      if (at === -1) throw new ErasureInputError('match_malformed', `${where} has no "=": write column=value, e.g. email=…`);
      return { column: text.slice(0, at), value: text.slice(at + 1), where };
    }),
    '--match',
  );
}

/** The admin API's `match: [{column, value}]` → specs. */
export function parseMatchJson(input: unknown): MatchSpec[] {
  if (!Array.isArray(input) || input.length === 0) {
    throw new ErasureInputError('match_required', '"match" must be a non-empty array of {"column": …, "value": …} (one per variant of the value)');
  }
  return checkMatches(
    input.map((item, index) => {
      const entry = typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>) : {};
      const { column, value } = entry;
      if (typeof column !== 'string' || typeof value !== 'string') {
        throw new ErasureInputError('match_malformed', `match[${index}] must be {"column": "<name>", "value": "<the value as sent, as a string>"}`);
      }
      return { column, value };
    }),
    'match',
  );
}

function checkMatches(specs: Array<MatchSpec & { where?: string }>, what: string): MatchSpec[] {
  if (specs.length > MAX_MATCHES) throw new ErasureInputError('too_many_matches', `at most ${MAX_MATCHES} ${what} keys in one erasure`);
  specs.forEach(({ column, value, where: said }, index) => {
    const where = said ?? `${what} #${index + 1}`;
    if (column.trim() === '') throw new ErasureInputError('match_malformed', `${where} has no column name before "=": write column=value`);
    if (/[\u0000-\u001f\u007f]/.test(column)) throw new ErasureInputError('match_malformed', `${where}: the column name holds a control character`);
    if (value === '') throw new ErasureInputError('match_malformed', `${where} (${column}) has no value after "=": give the value exactly as it was sent`);
    if (value.length > MAX_VALUE_LENGTH)
      throw new ErasureInputError('match_malformed', `${where} (${column}): the value is longer than ${MAX_VALUE_LENGTH} characters`);
  });
  return specs.map(({ column, value }) => ({ column: column.trim(), value }));
}

/** A table of the tenant as the catalog registers it. */
export interface CatalogTable extends ColumnLookup {
  table: string;
  columns: ReadonlyMap<string, RegisteredColumn>;
}

/** Where a table is searched: these physical PII columns, and always its rescue column. */
export interface TableSearch {
  table: string;
  /** physical names of the PII columns a match name reaches here (may be empty: then only the rescue column) */
  columns: string[];
  /** `name → logical column` for each match name that reached a PII column here through an alias or its own name */
  reachedBy: Array<{ name: string; column: string; via: 'column' | 'alias' }>;
}

/** A match name that reaches a column here that is not personal data: it holds values, not hashes. */
export interface NotSearched {
  table: string;
  name: string;
  column: string;
  reason: string;
}

export type ErasureTargets =
  { ok: true; tables: TableSearch[]; notSearched: NotSearched[] } | { ok: false; unknown: string[]; piiColumns: Array<{ table: string; column: string }> };

/**
 * Every table is searched (its rescue column quotes a rescued value's hash whatever the field was); a table's PII
 * columns only where a match name reaches them. A name that reaches no PII column in any table is refused, with the
 * tenant's PII columns listed, so a typo never turns into an erasure that silently finds nothing.
 */
export function resolveErasureTargets(tables: readonly CatalogTable[], names: readonly string[]): ErasureTargets {
  const reachesPii = new Set<string>();
  const searches: TableSearch[] = [];
  const notSearched: NotSearched[] = [];
  for (const table of [...tables].sort((a, b) => a.table.localeCompare(b.table))) {
    const columns = new Set<string>();
    const reachedBy: TableSearch['reachedBy'] = [];
    for (const name of new Set(names)) {
      const column = columnFor(table, name) ?? columnFor(table, name.toLowerCase());
      if (column === undefined) continue;
      const via = table.columns.has(name) || table.columns.has(name.toLowerCase()) ? 'column' : 'alias';
      if (column.pii !== true) {
        notSearched.push({ table: table.table, name, column: column.logical, reason: 'not a PII column: it holds values as sent, not their hashes' });
        continue;
      }
      reachesPii.add(name);
      columns.add(column.physical);
      reachedBy.push({ name, column: column.logical, via });
    }
    searches.push({ table: table.table, columns: [...columns].sort(), reachedBy });
  }
  const unknown = [...new Set(names)].filter((name) => !reachesPii.has(name));
  if (unknown.length > 0) {
    const piiColumns = tables.flatMap((t) => [...t.columns.values()].filter((c) => c.pii === true).map((c) => ({ table: t.table, column: c.logical })));
    return { ok: false, unknown, piiColumns: piiColumns.sort((a, b) => a.table.localeCompare(b.table) || a.column.localeCompare(b.column)) };
  }
  return { ok: true, tables: searches, notSearched };
}

/** The refusal for names that reach no PII column, saying which columns can be matched. */
export function unknownNamesMessage(tenantId: string, unknown: readonly string[], piiColumns: ReadonlyArray<{ table: string; column: string }>): string {
  const listed = piiColumns.length === 0 ? '(none: no table of this tenant has a PII column)' : piiColumns.map((c) => `${c.table}.${c.column}`).join(', ');
  return (
    `${unknown.map((n) => JSON.stringify(n)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} no PII column (nor an alias of one) in any table of tenant ` +
    `${tenantId}: only PII columns hold hashes to find a subject by. PII columns of ${tenantId}: ${listed}`
  );
}
