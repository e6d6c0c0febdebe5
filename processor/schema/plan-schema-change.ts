// The schema resolver: (registered columns, incoming fields) → a plan of schema changes. Pure.
import { canWiden, coerceValue, inferType, unifyTypes, VARCHAR, widenFor, type ColumnType, type InferredType } from './column-types.ts';
import { physicalColumnName, METADATA_COLUMNS } from './physical-name.ts';

export interface RegisteredColumn {
  logical: string;
  physical: string;
  type: ColumnType;
}

export type SchemaChange =
  | { kind: 'add_column'; logical: string; physical: string; type: InferredType }
  | { kind: 'widen_column'; logical: string; physical: string; from: ColumnType; to: ColumnType };

/**
 * A step that may map unresolved fields onto existing columns before they become new columns
 * (typo aliases and the AI matcher plug in here). It returns field → existing logical column.
 */
export interface FieldMatcher {
  readonly name: string;
  match(input: { unresolved: ReadonlyMap<string, InferredType>; columns: readonly RegisteredColumn[]; presentFields: ReadonlySet<string> }): Map<string, string>;
}

export interface SchemaPlan {
  changes: SchemaChange[];
  /** field → existing logical column it was matched to, and by which step */
  matched: Array<{ field: string; column: string; matcher: string }>;
}

/**
 * Every incoming field resolves, in order, to: a registered column of the same logical name; a column a
 * matcher maps it to; or a new column ("full coverage": a field nobody claims becomes a column). A
 * registered column whose values need a wider type gets a widening when Iceberg allows it; any other
 * mismatch is left to the loader, which rescues the value.
 */
export function planSchemaChange(
  registered: readonly RegisteredColumn[],
  incoming: ReadonlyMap<string, readonly unknown[]>,
  matchers: readonly FieldMatcher[] = [],
): SchemaPlan {
  const byLogical = new Map(registered.map((column) => [column.logical, column]));
  const changes: SchemaChange[] = [];
  const unresolved = new Map<string, InferredType>();

  for (const [field, values] of incoming) {
    const column = byLogical.get(field);
    if (column === undefined) {
      const type = observedType(values);
      if (type !== null) unresolved.set(field, type);
      continue;
    }
    const widening = plannedWidening(column, values);
    if (widening !== null) changes.push(widening);
  }

  const matched: SchemaPlan['matched'] = [];
  const presentFields = new Set(incoming.keys());
  for (const matcher of matchers) {
    if (unresolved.size === 0) break;
    for (const [field, target] of matcher.match({ unresolved, columns: registered, presentFields })) {
      if (!unresolved.has(field) || !byLogical.has(target)) continue;
      matched.push({ field, column: target, matcher: matcher.name });
      unresolved.delete(field);
    }
  }

  const taken = new Set<string>([...registered.map((column) => column.physical), ...Object.values(METADATA_COLUMNS)]);
  for (const [field, type] of [...unresolved].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const physical = physicalColumnName(field, taken);
    taken.add(physical);
    changes.push({ kind: 'add_column', logical: field, physical, type });
  }
  return { changes, matched };
}

/** The type a new column gets from the non-null values of this batch (null when there are none yet). */
export function observedType(values: readonly unknown[]): InferredType | null {
  let type: InferredType | null = null;
  for (const value of values) {
    const valueType = inferType(value);
    if (valueType === null) continue;
    type = type === null ? valueType : unifyTypes(type, valueType);
    if (type === VARCHAR) break;
  }
  return type;
}

function plannedWidening(column: RegisteredColumn, values: readonly unknown[]): SchemaChange | null {
  if (!canWiden(column.type)) return null; // most columns (bigint, double, varchar, ...) have nothing to widen to
  let target: ColumnType | null = null;
  for (const value of values) {
    if (coerceValue(value, target ?? column.type).ok) continue;
    const valueType = inferType(value);
    const wider: ColumnType | null = valueType === null ? null : widenFor(target ?? column.type, valueType, value);
    if (wider !== null) target = wider;
  }
  return target === null ? null : { kind: 'widen_column', logical: column.logical, physical: column.physical, from: column.type, to: target };
}
