// The schema resolver: (registered columns, incoming fields) → a plan of schema changes. Pure.
import { canWiden, coerceValue, inferType, unifyTypes, VARCHAR, widenFor, type ColumnType, type InferredType } from './column-types.ts';
import { MAX_COLUMNS_PER_TABLE } from '../../shared/ingest-limits.ts';
import { physicalColumnName, METADATA_COLUMNS } from './physical-name.ts';
import { columnFor, type RegisteredColumn } from './table-schema.ts';

export type { RegisteredColumn } from './table-schema.ts';

export type SchemaChange =
  | { kind: 'add_column'; logical: string; physical: string; type: InferredType }
  | { kind: 'widen_column'; logical: string; physical: string; from: ColumnType; to: ColumnType };

export interface SchemaPlan {
  changes: SchemaChange[];
  /** new fields that get no column because the table is at its column cap (their values are rescued) */
  overCap: string[];
}

/**
 * Every incoming field resolves to a registered column of the same logical name, or to the column an alias
 * maps it to (see resolve-fields.ts), or becomes a new column. A registered column whose values (its own
 * field's and its aliases') need a wider type gets a widening when Iceberg allows it; any other mismatch is
 * left to the loader, which rescues the value. A table holds at most `maxColumns` data columns: new fields past
 * that (in name order) get no column, and the loader rescues their values with the reason.
 */
export function planSchemaChange(
  registered: readonly RegisteredColumn[],
  incoming: ReadonlyMap<string, readonly unknown[]>,
  aliases: ReadonlyMap<string, string> = new Map(),
  maxColumns: number = MAX_COLUMNS_PER_TABLE,
): SchemaPlan {
  const observed = new Map([...incoming].map(([field, values]) => [field, { values, type: observedType(values) }]));
  return planChanges(registered, observed, aliases, maxColumns);
}

/** `planSchemaChange` over fields already observed (their values typed once, observe-batch.ts). */
export function planChanges(
  registered: readonly RegisteredColumn[],
  incoming: ReadonlyMap<string, { readonly values: readonly unknown[]; readonly type: InferredType | null }>,
  aliases: ReadonlyMap<string, string> = new Map(),
  maxColumns: number = MAX_COLUMNS_PER_TABLE,
): SchemaPlan {
  const schema = { columns: new Map(registered.map((column) => [column.logical, column])), aliases };
  const changes: SchemaChange[] = [];
  const unresolved = new Map<string, InferredType>();
  const valuesByColumn = new Map<RegisteredColumn, unknown[]>();

  for (const [field, { values, type }] of incoming) {
    const column = columnFor(schema, field);
    if (column === undefined) {
      if (type !== null) unresolved.set(field, type);
      continue;
    }
    let list = valuesByColumn.get(column);
    if (list === undefined) valuesByColumn.set(column, (list = []));
    list.push(...values);
  }
  for (const [column, values] of valuesByColumn) {
    const widening = plannedWidening(column, values);
    if (widening !== null) changes.push(widening);
  }

  const taken = new Set<string>([...registered.map((column) => column.physical), ...Object.values(METADATA_COLUMNS)]);
  const sorted = [...unresolved].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const room = Math.max(0, maxColumns - registered.length);
  for (const [field, type] of sorted.slice(0, room)) {
    const physical = physicalColumnName(field, taken);
    taken.add(physical);
    changes.push({ kind: 'add_column', logical: field, physical, type });
  }
  return { changes, overCap: sorted.slice(room).map(([field]) => field) };
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
