// Shapes one flattened row into the cells the warehouse writes: aliases, PII hashing, coercion, rescue — and what the
// table's contract refuses in it (contract-shape-row.ts decides what becomes of such a row). Pure.
import { MAX_COLUMNS_PER_TABLE } from '../../shared/ingest-limits.ts';
import type { StoredMessage } from '../queue/stored-message.ts';
import { stringifyJson } from '../normalize/parse-payload.ts';
import type { LoadRow } from '../warehouse/warehouse.ts';
import { canonicalTimestamp, coerceValue, inferType, VARCHAR, widenFor, type Cell, type ColumnType, type InferredType } from './column-types.ts';
import type { PiiHasher } from './pii-hasher.ts';
import { detectPii } from './pii-detect.ts';
import { columnFor, type TableSchema } from './table-schema.ts';

/**
 * What the contract has to say about a field of a row (contract-shape-row.ts): it has no column, or its value needs
 * a widening, or does not fit its column at all. Never the value itself: it may be personal data.
 */
export type ContractProblem =
  | { kind: 'no_column'; field: string }
  | { kind: 'needs_widening'; field: string; column: string; from: ColumnType; to: ColumnType }
  | { kind: 'does_not_fit'; field: string; column: string; type: ColumnType; value: InferredType | null };

/** A row's cells and rescued values (by field), and what a contract other than `evolve` refuses in it. */
export interface ShapedCells {
  cells: Map<string, Cell>;
  rescued: Record<string, { value: unknown; reason: string }>;
  problems: ContractProblem[];
}

export function toLoadRow(
  message: StoredMessage,
  rowId: number,
  fields: ReadonlyMap<string, unknown>,
  collisions: ReadonlyArray<{ field: string; value: unknown }>,
  schema: TableSchema,
  hasher: PiiHasher,
): LoadRow {
  return loadRowOf(message, rowId, shapeCells(message.tenantId, fields, collisions, schema, hasher));
}

/** The cells of one row. Under `freeze`, a value the contract keeps out of the schema is rescued with a reason naming it. */
export function shapeCells(
  tenantId: string,
  fields: ReadonlyMap<string, unknown>,
  collisions: ReadonlyArray<{ field: string; value: unknown }>,
  schema: TableSchema,
  hasher: PiiHasher,
): ShapedCells {
  const cells = new Map<string, Cell>();
  const rescued: Record<string, { value: unknown; reason: string }> = {};
  const problems: ContractProblem[] = [];
  const contract = schema.contract ?? 'evolve';
  const byContract = (reason: string) => (contract === 'evolve' ? reason : `contract ${contract}: ${reason}`);
  // Canonical names first, so a field and its alias in the same row keep the canonical value in the column.
  const ordered = schema.aliases.size === 0 ? fields : [...fields].sort(([a], [b]) => Number(schema.aliases.has(a)) - Number(schema.aliases.has(b)));
  for (const [field, value] of ordered) {
    const column = columnFor(schema, field);
    if (column === undefined) {
      // A field past the column cap (schema-registry) or one that has been null in every row so far has no
      // column; null carries nothing to keep. At the cap no contract could give it one: it is rescued, not refused.
      if (value === null) continue;
      const atCap = schema.columns.size >= MAX_COLUMNS_PER_TABLE;
      if (!atCap) problems.push({ kind: 'no_column', field });
      rescued[field] = {
        value: rescuedValue(tenantId, field, value, false, hasher),
        reason: atCap ? `table reached its ${MAX_COLUMNS_PER_TABLE}-column limit` : byContract('no column for this field'),
      };
      continue;
    }
    // Personal data: only its hash is ever written — to the column, or to the rescue column when the value
    // cannot go to the column — never the plaintext.
    const kept = column.pii === true && value !== null ? hasher.hash(tenantId, value) : value;
    if (cells.has(column.physical)) {
      if (value !== null) rescued[field] = { value: kept, reason: `column ${column.logical} is already filled by another field of this row` };
      continue;
    }
    if (column.pii === true && value !== null) {
      if (column.type === 'varchar') cells.set(column.physical, { type: 'varchar', text: kept as string });
      else {
        problems.push({ kind: 'does_not_fit', field, column: column.logical, type: column.type, value: VARCHAR });
        rescued[field] = { value: kept, reason: `PII: the ${column.type} column cannot hold its hash` };
      }
      continue;
    }
    const coerced = coerceValue(value, column.type);
    if (coerced.ok) {
      cells.set(column.physical, coerced.cell);
      continue;
    }
    const valueType = inferType(value);
    const wider = valueType === null ? null : widenFor(column.type, valueType, value);
    problems.push(
      wider === null
        ? { kind: 'does_not_fit', field, column: column.logical, type: column.type, value: valueType }
        : { kind: 'needs_widening', field, column: column.logical, from: column.type, to: wider },
    );
    const reason = wider !== null && contract !== 'evolve' ? byContract(`column is ${column.type}, value needs ${wider}`) : coerced.reason;
    rescued[field] = { value: rescuedValue(tenantId, field, value, false, hasher), reason };
  }
  collisions.forEach(({ field, value }, index) => {
    rescued[`${field}#${index + 2}`] = {
      value: rescuedValue(tenantId, field, value, columnFor(schema, field)?.pii === true, hasher),
      reason: 'the same field name appears twice after flattening',
    };
  });
  return { cells, rescued, problems };
}

/** The row the warehouse writes: the message's metadata, the cells, the rescued values as JSON. */
export function loadRowOf(message: StoredMessage, rowId: number, shaped: Pick<ShapedCells, 'cells' | 'rescued'>): LoadRow {
  return {
    messageId: message.messageId,
    rowId,
    receivedAt: canonicalTimestamp(message.receivedAt),
    tenantId: message.tenantId,
    endpoint: message.endpoint,
    sequence: message.queueId,
    credential: message.credential,
    sourceId: message.sourceId,
    provenance: message.provenance,
    rescue: Object.keys(shaped.rescued).length === 0 ? null : stringifyJson(shaped.rescued),
    cells: shaped.cells,
  };
}

/**
 * What the rescue column keeps of a value: its hash when it is personal data — its column is PII, its field is named
 * like personal data, or the value is shaped like it (an e-mail, an E.164 phone, a card number) — else the value as
 * sent. So personal data is never stored in plaintext, and an erasure finds rescued values by their hash.
 */
export function rescuedValue(tenantId: string, field: string, value: unknown, piiColumn: boolean, hasher: PiiHasher): unknown {
  if (value === null) return value;
  const pii = piiColumn || detectPii(lastSegment(field), typeof value === 'object' ? [] : [String(value)]) !== null || detectPii(field, []) !== null;
  return pii ? hasher.hash(tenantId, value) : value;
}

/** `customer.email` → `email`: a nested field is named by its last part, as PII detection reads names. */
function lastSegment(field: string): string {
  const dot = field.lastIndexOf('.');
  return dot === -1 ? field : field.slice(dot + 1);
}

export /** MERGE refuses two source rows for one target row: keep the last write per key (queue order, then row order). */
function lastWritePerKey(keyColumn: string, rows: readonly LoadRow[]): LoadRow[] {
  const latest = new Map<string, LoadRow>();
  for (const row of rows) {
    const cell = row.cells.get(keyColumn);
    const key = cell === undefined || cell === null ? `\u0000${row.messageId}:${row.rowId}` : `${cell.type}:${cell.text}`;
    latest.delete(key);
    latest.set(key, row); // rows arrive in queue order, then row order: the later one wins
  }
  return [...latest.values()];
}
