// What the table's schema contract makes of one row, pure: it lands (its values in their columns, the rest rescued —
// under `freeze` with a reason naming the contract), or — under `quarantine`, when it has a field the schema has no
// column for or a value that does not fit its column — it goes whole to the table's quarantine. The loader and the
// dry run (`boitata plan`) both call this.
import type { StoredMessage } from '../queue/stored-message.ts';
import { quarantineRow } from '../governance/quarantine-table.ts';
import type { LoadRow } from '../warehouse/warehouse.ts';
import { loadRowOf, rescuedValue, shapeCells, type ContractProblem, type ShapedCells } from './load-row.ts';
import type { PiiHasher } from './pii-hasher.ts';
import { columnFor, type TableSchema } from './table-schema.ts';

export type { ContractProblem } from './load-row.ts';

/** The decision for a row, before any message metadata: what a dry run shows. */
export type RowDecision = { kind: 'land'; shaped: ShapedCells } | { kind: 'quarantine'; reason: string; problems: ContractProblem[] };

/** The row ready to write: to the table, or to its quarantine (quarantine-table.ts). */
export type RowOutcome = { kind: 'land'; row: LoadRow } | { kind: 'quarantine'; reason: string; problems: ContractProblem[]; row: LoadRow };

/** At most this many fields are named in a quarantine reason; the row itself is in `_boitata_row`. */
const REASON_FIELDS = 10;

export function decideRow(
  tenantId: string,
  fields: ReadonlyMap<string, unknown>,
  collisions: ReadonlyArray<{ field: string; value: unknown }>,
  schema: TableSchema,
  hasher: PiiHasher,
): RowDecision {
  const shaped = shapeCells(tenantId, fields, collisions, schema, hasher);
  if ((schema.contract ?? 'evolve') !== 'quarantine' || shaped.problems.length === 0) return { kind: 'land', shaped };
  return { kind: 'quarantine', reason: quarantineReason(shaped.problems), problems: shaped.problems };
}

export function shapeRow(
  message: StoredMessage,
  rowId: number,
  fields: ReadonlyMap<string, unknown>,
  collisions: ReadonlyArray<{ field: string; value: unknown }>,
  schema: TableSchema,
  hasher: PiiHasher,
  now: Date,
): RowOutcome {
  const decision = decideRow(message.tenantId, fields, collisions, schema, hasher);
  if (decision.kind === 'land') return { kind: 'land', row: loadRowOf(message, rowId, decision.shaped) };
  const kept = quarantinedFields(message.tenantId, fields, collisions, schema, hasher);
  return { ...decision, row: quarantineRow(message, rowId, decision.reason, kept, now) };
}

/** `contract quarantine: field "coupon" has no column; field "qty": column qty is integer, value needs bigint`. */
export function quarantineReason(problems: readonly ContractProblem[]): string {
  const said = problems.slice(0, REASON_FIELDS).map(describeProblem);
  if (problems.length > REASON_FIELDS) said.push(`and ${problems.length - REASON_FIELDS} more`);
  return `contract quarantine: ${said.join('; ')}`;
}

export function describeProblem(problem: ContractProblem): string {
  const field = JSON.stringify(problem.field);
  switch (problem.kind) {
    case 'no_column':
      return `field ${field} has no column`;
    case 'needs_widening':
      return `field ${field}: column ${problem.column} is ${problem.from}, value needs ${problem.to}`;
    case 'does_not_fit':
      return `field ${field}: column ${problem.column} is ${problem.type}, value is ${problem.value ?? 'null'}`;
  }
}

/**
 * The row's fields as the quarantine keeps them: a value is hashed when its column (own or aliased) is personal data,
 * when its name says so, or when it looks like an e-mail, a phone or a card number (rescuedValue). Never plaintext.
 */
export function quarantinedFields(
  tenantId: string,
  fields: ReadonlyMap<string, unknown>,
  collisions: ReadonlyArray<{ field: string; value: unknown }>,
  schema: TableSchema,
  hasher: PiiHasher,
): Record<string, unknown> {
  const kept: Record<string, unknown> = Object.create(null) as Record<string, unknown>; // a field named __proto__ stays a field
  const keep = (name: string, field: string, value: unknown) => {
    kept[name] = rescuedValue(tenantId, field, value, columnFor(schema, field)?.pii === true, hasher);
  };
  for (const [field, value] of fields) keep(field, field, value);
  collisions.forEach(({ field, value }, index) => keep(`${field}#${index + 2}`, field, value));
  return kept;
}
