// The schema decision, pure: (the table's state, a batch's observed fields, the model's answer) → an EvolutionPlan
// that says as data everything that will happen — warehouse DDL, columns registered (types final, PII applied),
// widenings, adopted columns, aliases with their evidence, late PII flags, jobs, the history entry — and, under a
// `freeze` or `quarantine` contract, the changes the contract refused (their values are rescued or quarantined).
import { unifyTypes, VARCHAR, type ColumnType, type InferredType } from './column-types.ts';
import type { ObservedBatch } from './observe-batch.ts';
import { METADATA_COLUMN_TYPES, METADATA_COLUMNS } from './physical-name.ts';
import { detectPii, type PiiSource } from './pii-detect.ts';
import { planChanges, type SchemaChange } from './plan-schema-change.ts';
import { resolveMessages, type AliasDecision, type MessagesResolution, type ModelAnswer } from './resolve-fields.ts';
import { MAX_COLUMNS_PER_TABLE } from '../../shared/ingest-limits.ts';
import type { RegisteredColumn } from './table-schema.ts';
import type { SchemaContract } from '../governance/policies.ts';

/** What the catalog and the warehouse hold for a table, read under the table's lock. */
export interface TableState {
  /** the registered columns; null when the registry does not know the table */
  registered: readonly RegisteredColumn[] | null;
  /** field → logical column */
  aliases: ReadonlyMap<string, string>;
  /** `field\u0000column` pairs an operator undid */
  rejected: ReadonlySet<string>;
  /** the warehouse table's columns (physical → type); null when it does not exist */
  live: ReadonlyMap<string, ColumnType> | null;
}

/** The model's answer to the batch's question, and the columns that question offered. */
export interface ModelVerdict {
  answer: ModelAnswer;
  offered: ReadonlySet<string>;
}

export interface EvolutionInput {
  state: TableState;
  batch: ObservedBatch;
  /** absent: the model was not asked (no question, or none could be put): the fields for it become columns */
  model?: ModelVerdict;
  /** the batch holds a provider delivery: the table gets the provenance columns */
  provenance: boolean;
  /** the table's schema contract (governance/policies.ts); absent: `evolve` */
  contract?: SchemaContract;
}

/** One step against the warehouse, in order. */
export type WarehouseStep =
  | { kind: 'create_table'; columns: RegisteredColumn[]; provenance: boolean }
  | { kind: 'ensure_metadata'; present: ReadonlySet<string>; provenance: boolean }
  | { kind: 'change'; change: SchemaChange };

export type CatalogJob = { kind: 'enrich_columns'; columns: string[] } | { kind: 'hash_pii_column'; column: string; pass: 1 | 2 };

export type HistoryEntry =
  | { kind: 'adopt_columns'; columns: RegisteredColumn[] }
  | SchemaChange
  | { kind: 'add_alias'; alias: string; column: string; decided_by: AliasDecision['decidedBy']; evidence: Record<string, unknown> }
  | { kind: 'flag_pii'; column: string; source: PiiSource | 'model' }
  | { kind: 'remove_alias'; alias: string; column: string; by: 'operator' };

export interface NewColumn extends RegisteredColumn {
  origin: 'adopted' | 'payload';
  piiSource: PiiSource | null;
}

export interface EvolutionPlan {
  /** the registry knows the table already (else it is registered now) */
  exists: boolean;
  warehouse: WarehouseStep[];
  /** columns to register, adopted first: the live type wins for one whose DDL ran before a crash */
  columns: NewColumn[];
  /** registered columns whose type becomes wider */
  widened: Array<{ logical: string; to: ColumnType }>;
  aliases: AliasDecision[];
  /** registered (or adopted) columns found to be personal data: flagged, and their rows hashed by a job */
  lateFlags: Array<{ column: string; source: PiiSource }>;
  jobs: CatalogJob[];
  /** the schema-history entry; null when the version does not move */
  history: HistoryEntry[] | null;
  /** the table carries the provider provenance columns */
  provenance: boolean;
  /** the contract the plan was decided under */
  contract: SchemaContract;
  /**
   * What `evolve` would have done that the contract refused (`freeze`, `quarantine` on a table the registry knows):
   * new columns and widenings. Their values are rescued (freeze) or their rows quarantined (quarantine): see
   * contract-shape-row.ts. Empty under `evolve` and for a table created now.
   */
  refused: SchemaChange[];
}

const METADATA_NAMES = new Set(METADATA_COLUMN_TYPES.map(([name]) => name));

/** A table the registry does not know but the warehouse has (created outside Boitatá): its columns, adopted as they are. */
export function adoptedColumns(state: TableState): RegisteredColumn[] {
  if (state.live === null || state.registered !== null) return [];
  return [...state.live].filter(([physical]) => !METADATA_NAMES.has(physical)).map(([physical, type]) => ({ logical: physical, physical, type }));
}

/** The batch's one question for the model (fields with samples, the columns it may choose); null when there is none. */
export function modelQuestion(
  state: TableState,
  batch: ObservedBatch,
): {
  fields: Array<{ name: string; type: ColumnType; samples: unknown[] }>;
  candidates: RegisteredColumn[];
} | null {
  const { question } = resolve(state, batch);
  if (question.fields.length === 0) return null;
  const fields = question.fields.map((name) => {
    const observed = batch.fields.get(name);
    return { name, type: observed?.type ?? VARCHAR, samples: (observed?.values ?? []).slice(0, 3) };
  });
  return { fields, candidates: question.candidates };
}

function resolve(state: TableState, batch: ObservedBatch, model?: ModelVerdict): MessagesResolution {
  const columns = [...(state.registered ?? []), ...adoptedColumns(state)];
  return resolveMessages({
    columns,
    aliases: state.aliases,
    messages: batch.messages,
    rejected: state.rejected,
    room: MAX_COLUMNS_PER_TABLE - columns.length,
    ...(model === undefined ? {} : { model: model.answer, offered: model.offered }),
  });
}

export function decideEvolution(input: EvolutionInput): EvolutionPlan {
  const { state, batch } = input;
  const contract = input.contract ?? 'evolve';
  const adopted = adoptedColumns(state);
  const columns = [...(state.registered ?? []), ...adopted];
  const evolving = resolve(state, batch, input.model);
  const aliasMap = new Map([...state.aliases, ...evolving.create.map((a) => [a.field, a.column] as const)]);
  const { planned, aliasedOntoNew } = plannedFields(columns, evolving, aliasMap, batch);
  const decided = withPii(planChanges(columns, planned, aliasMap).changes, planned, aliasedOntoNew, batch);
  // A contract governs the columns of a table the registry knows: a table new to it is created from its first batch
  // whatever the contract (auto-bootstrap). Under `freeze` and `quarantine` nothing is added nor widened; aliases onto
  // columns that exist (typo, dictionary, model) still apply, and so do late PII flags.
  const governed = contract !== 'evolve' && state.registered !== null;
  const changes = governed ? [] : decided.changes;
  const refused = governed ? decided.changes : [];
  const { piiOf } = decided;
  const existing = new Set(columns.map((c) => c.logical));
  const resolution = governed ? { ...evolving, create: evolving.create.filter((a) => existing.has(a.column)) } : evolving;
  const lateFlags = latePiiFlags(columns, adopted, resolution.create, batch);
  const { steps, applied, added } = warehouseSteps(state, columns, changes, input.provenance);

  const newColumns: NewColumn[] = [
    ...adopted.map((column) => ({ ...column, origin: 'adopted' as const, piiSource: null })),
    ...added.map((column) => ({ ...column, origin: 'payload' as const, piiSource: piiOf.get(column.logical) ?? null })),
  ];
  const jobs: CatalogJob[] = lateFlags.map(({ column }) => ({ kind: 'hash_pii_column', column, pass: 1 }));
  // The catalog learns about new columns in the background (a job the processor works): ingestion never waits.
  if (newColumns.length > 0) jobs.push({ kind: 'enrich_columns', columns: newColumns.map((c) => c.logical) });
  const exists = state.registered !== null;
  const moved = applied.length > 0 || adopted.length > 0 || resolution.create.length > 0 || lateFlags.length > 0 || !exists;
  const history: HistoryEntry[] | null = moved
    ? [
        ...(adopted.length > 0 ? [{ kind: 'adopt_columns' as const, columns: adopted }] : []),
        ...applied,
        ...resolution.create.map((a) => ({ kind: 'add_alias' as const, alias: a.field, column: a.column, decided_by: a.decidedBy, evidence: a.evidence })),
        ...lateFlags.map(({ column, source }) => ({ kind: 'flag_pii' as const, column, source })),
      ]
    : null;
  return {
    exists,
    warehouse: steps,
    columns: newColumns,
    widened: applied.flatMap((change) => (change.kind === 'widen_column' ? [{ logical: change.logical, to: change.to }] : [])),
    aliases: resolution.create,
    lateFlags,
    jobs,
    history,
    provenance: provenanceOf(state, input.provenance),
    contract,
    refused,
  };
}

/**
 * What the plan sees: registered and new columns, and fields aliased onto them. A field aliased onto a column this
 * same batch creates counts towards that column's type; fields past the cap get no column.
 */
function plannedFields(columns: readonly RegisteredColumn[], resolution: MessagesResolution, aliasMap: ReadonlyMap<string, string>, batch: ObservedBatch) {
  const registeredNames = new Set(columns.map((c) => c.logical));
  const planned = new Map<string, { values: unknown[]; type: InferredType | null }>();
  const aliasedOntoNew = new Map<string, string[]>();
  const plan = (name: string, values: readonly unknown[], type: InferredType | null) => {
    const seen = planned.get(name);
    if (seen === undefined) planned.set(name, { values: [...values], type });
    else {
      // Two fields meet on one new column: its type must hold both.
      for (const value of values) seen.values.push(value);
      if (type !== null) seen.type = seen.type === null ? type : unifyTypes(seen.type, type);
    }
  };
  for (const [field, { values, type }] of batch.fields) {
    const target = registeredNames.has(field) || resolution.newColumns.has(field) ? field : aliasMap.get(field);
    if (target === undefined) continue;
    if (target === field || registeredNames.has(target)) plan(field, values, type);
    else if (resolution.newColumns.has(target)) {
      plan(target, values, type);
      aliasedOntoNew.set(target, [...(aliasedOntoNew.get(target) ?? []), field]);
    }
  }
  return { planned, aliasedOntoNew };
}

/** Personal data is found before the first row lands; its column holds hashes, so it is text. */
function withPii(
  planned: readonly SchemaChange[],
  fields: ReadonlyMap<string, { values: readonly unknown[] }>,
  aliasedOntoNew: ReadonlyMap<string, readonly string[]>,
  batch: ObservedBatch,
): { changes: SchemaChange[]; piiOf: Map<string, PiiSource> } {
  const piiOf = new Map<string, PiiSource>();
  const changes = planned.map((change): SchemaChange => {
    if (change.kind !== 'add_column') return change;
    // A field aliased onto the new column (by a later message of this batch) that is personal data makes it so.
    let pii = detectPii(change.logical, fields.get(change.logical)?.values ?? []);
    for (const field of aliasedOntoNew.get(change.logical) ?? []) pii ??= detectPii(field, batch.fields.get(field)?.values ?? []);
    if (pii === null) return change;
    piiOf.set(change.logical, pii);
    return { ...change, type: VARCHAR };
  });
  return { changes, piiOf };
}

/**
 * A field that is personal data makes the column it is aliased onto personal data too; so does an adopted column
 * whose name says so. Their existing rows are hashed in place by a job.
 */
function latePiiFlags(columns: readonly RegisteredColumn[], adopted: readonly RegisteredColumn[], aliases: readonly AliasDecision[], batch: ObservedBatch) {
  const flags = new Map<string, PiiSource>();
  for (const alias of aliases) {
    const target = columns.find((c) => c.logical === alias.column);
    const pii = detectPii(alias.field, batch.fields.get(alias.field)?.values ?? []);
    if (target !== undefined && target.pii !== true && pii !== null) flags.set(target.logical, pii);
  }
  for (const column of adopted) {
    const pii = detectPii(column.logical, []);
    if (pii !== null) flags.set(column.logical, pii);
  }
  return [...flags].map(([column, source]) => ({ column, source }));
}

// The warehouse DDL is idempotent against what the live table shows: a change whose DDL ran before a crash is not
// run again, and the warehouse's type is the truth for it. A registered table missing from the warehouse (dropped by
// hand) is recreated with every known column.
function warehouseSteps(state: TableState, columns: readonly RegisteredColumn[], changes: readonly SchemaChange[], provenance: boolean) {
  const steps: WarehouseStep[] = [];
  const applied: SchemaChange[] = [];
  const added: RegisteredColumn[] = [];
  const withProvenance = provenanceOf(state, provenance);
  if (state.live === null) {
    const newColumns = changes.flatMap((c) => (c.kind === 'add_column' ? [c] : []));
    steps.push({ kind: 'create_table', columns: [...columns, ...newColumns], provenance: withProvenance });
    return { steps, applied: [...changes], added: newColumns };
  }
  steps.push({ kind: 'ensure_metadata', present: new Set(state.live.keys()), provenance: withProvenance });
  for (const change of changes) {
    const liveType = state.live.get(change.physical);
    if (change.kind === 'add_column' && liveType !== undefined) {
      added.push({ logical: change.logical, physical: change.physical, type: liveType });
      continue;
    }
    applied.push(change);
    if (change.kind === 'widen_column' && liveType === change.to) continue;
    steps.push({ kind: 'change', change });
    if (change.kind === 'add_column') added.push(change);
  }
  return { steps, applied, added };
}

/** The provenance columns join a table with its first provider delivery, and stay. */
function provenanceOf(state: TableState, provenance: boolean): boolean {
  return provenance || (state.live !== null && state.live.has(METADATA_COLUMNS.provider));
}
