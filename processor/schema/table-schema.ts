// A table's schema as the processor sees it (registered columns, aliases, version), and the one field → column lookup.
import type { TableRef } from '../warehouse/warehouse.ts';
import type { ColumnType } from './column-types.ts';
import type { SchemaContract } from '../governance/policies.ts';

export interface RegisteredColumn {
  logical: string;
  physical: string;
  type: ColumnType;
  /** personal data: values are hashed on ingestion */
  pii?: boolean;
}

export interface TableSchema {
  ref: TableRef;
  /** logical name → column; never more than MAX_COLUMNS_PER_TABLE (fields past it are rescued by the loader) */
  columns: Map<string, RegisteredColumn>;
  /** field → logical column it stands for */
  aliases: Map<string, string>;
  version: number;
  /** the live table has the provider provenance columns (physical-name.ts, PROVENANCE_KEYS) */
  provenance: boolean;
  /** the table's schema contract (governance/policies.ts); absent: `evolve` */
  contract?: SchemaContract;
  /** fields the contract gave no column at this version: a batch holding only these needs no evolution */
  refused?: ReadonlySet<string>;
}

/** One message's (payload's) fields with their non-null values, for one table. */
export type MessageFields = ReadonlyMap<string, readonly unknown[]>;

/** What a field lookup needs: the columns by logical name and the aliases (field → logical column). */
export interface ColumnLookup {
  readonly columns: ReadonlyMap<string, RegisteredColumn>;
  readonly aliases: ReadonlyMap<string, string>;
}

/** The column a field fills: the column of its own name, else the one its alias names; undefined when neither exists. */
export function columnFor(schema: ColumnLookup, field: string): RegisteredColumn | undefined {
  const own = schema.columns.get(field);
  if (own !== undefined) return own;
  const target = schema.aliases.get(field);
  return target === undefined ? undefined : schema.columns.get(target);
}
