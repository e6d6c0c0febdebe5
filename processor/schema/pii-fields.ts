// Which fields of one message would fill a PII column of a table, as the processor places fields without a model
// (resolve-fields.ts): a column of the field's own name, an alias, the typo rule, the dictionary. Pure. For masking a
// stored payload (mask-pii-payload.ts): a message that has not landed (queued, dead) can hold a field no alias names
// yet, which landing it would put on a PII column — and hash there — so it is hashed when shown, too.
import { MAX_COLUMNS_PER_TABLE } from '../../shared/ingest-limits.ts';
import type { InferredType } from './column-types.ts';
import { observedType } from './plan-schema-change.ts';
import { resolveFields } from './resolve-fields.ts';
import { columnFor, type RegisteredColumn } from './table-schema.ts';

/** A table as the catalog registers it: its columns (with their PII flag) and its aliases (field → logical column). */
export interface RegisteredTable {
  columns: readonly RegisteredColumn[];
  aliases: ReadonlyMap<string, string>;
}

/**
 * The fields of `fields` (one message's flattened fields for this table, with their values) that fill a PII column:
 * by their own column or an alias; by the processor's own resolution of the message with no model (the typo rule and
 * the dictionary for one or two new fields, the dictionary alone for more); and each new field tried as if it were
 * the only new one — what the processor does when it comes alone, and what the model, asked about several, may well
 * choose. Errs towards hashing (operator rejections of an alias are not consulted): a hash too many costs a lookup,
 * a value too many leaks. Fields past the table's column cap are never examined, as in the processor.
 */
export function piiFieldsOf(table: RegisteredTable, fields: ReadonlyMap<string, readonly unknown[]>): Set<string> {
  const columns = new Map(table.columns.map((column) => [column.logical, column]));
  const isPiiColumn = (logical: string) => columns.get(logical)?.pii === true;
  const types = new Map<string, InferredType | null>([...fields].map(([field, values]) => [field, observedType(values)]));
  const pii = new Set<string>();
  const filled = new Set<string>();
  const fresh: Array<[string, InferredType]> = [];
  for (const [field, type] of types) {
    const column = columnFor({ columns, aliases: table.aliases }, field);
    if (column !== undefined) {
      filled.add(column.logical);
      if (column.pii === true) pii.add(field);
    } else if (type !== null) {
      fresh.push([field, type]);
    }
  }
  if (fresh.length === 0 || !table.columns.some((column) => column.pii === true)) return pii;

  const plan = resolveFields({ columns: table.columns, aliases: table.aliases, fields: types });
  for (const decision of [...plan.create, ...plan.dictionaryFallback]) if (isPiiColumn(decision.column)) pii.add(decision.field);

  // Alone, a new field may take any column this message leaves unfilled (resolve-fields.ts: one field per column).
  const unfilled = table.columns.filter((column) => !filled.has(column.logical));
  fresh.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [field, type] of fresh.slice(0, Math.max(0, MAX_COLUMNS_PER_TABLE - columns.size))) {
    if (pii.has(field)) continue;
    const alone = resolveFields({ columns: unfilled, aliases: new Map(), fields: new Map([[field, type]]), room: 1 });
    if (alone.create.some((decision) => isPiiColumn(decision.column))) pii.add(field);
  }
  return pii;
}
