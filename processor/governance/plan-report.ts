// The dry run's core, pure: (a payload, the table's state, the model's situation) → the EvolutionPlan the processor
// would execute, and what each row would become under the schema that plan leaves and the table's contract (landed,
// values rescued, quarantined) — decided by the functions the processor calls.
import type { FieldAnswer } from '../ai/model-client.ts';
import { assertNever } from '../../shared/assert-never.ts';
import { isErasedRow } from './erased-marker.ts';
import type { EffectivePolicy } from './policies.ts';
import type { PlannedPayload } from './plan-payload.ts';
import { decideEvolution, modelQuestion, type EvolutionPlan, type ModelVerdict, type TableState } from '../schema/decide-evolution.ts';
import { decideRow, type ContractProblem } from '../schema/contract-shape-row.ts';
import type { PiiHasher } from '../schema/pii-hasher.ts';
import type { AliasDecision } from '../schema/resolve-fields.ts';
import type { RegisteredColumn, TableSchema } from '../schema/table-schema.ts';
import type { TableRef } from '../warehouse/warehouse.ts';

/** The batch's question for the model: the fields it would be asked about and the columns it could choose. */
export type ModelQuestion = NonNullable<ReturnType<typeof modelQuestion>>;

/** What is known of the model's answer, as the shell found it (it asks only with --ask-model). */
export type ModelSituation =
  /** no field is left for the model */
  | { kind: 'no_question' }
  /** fields are left, but no column could take them: the processor does not call the model, they become columns */
  | { kind: 'no_candidates' }
  /** the processor would get no answer (no model configured, budget spent, or the asked model failed) */
  | { kind: 'unavailable'; reason: string; asked: boolean }
  /** the answer is cached: the processor would take it without a call */
  | { kind: 'cached'; model: string; answers: FieldAnswer[]; decisions: AliasDecision[] }
  /** asked now (--ask-model) */
  | { kind: 'asked'; model: string; decisions: AliasDecision[] }
  /** the processor would ask it; the plan shows the fields as new columns (the model mapping none of them) */
  | { kind: 'not_asked'; model: string };

export interface RescuedValue {
  /** the row's index in the payload (0-based, as `_boitata_row_id`) */
  row: number;
  field: string;
  /** as the rescue column would hold it: personal data only as its hash */
  value: unknown;
  reason: string;
}

export interface RowOutcome {
  row: number;
  outcome: 'land' | 'land_with_rescue' | 'quarantine' | 'skip_erased';
}

export interface QuarantinedRow {
  row: number;
  reason: string;
  problems: ContractProblem[];
}

export interface PlanReport {
  tenant: string;
  table: string;
  format: PlannedPayload['format'];
  rows: number;
  contract: EffectivePolicy['contract'];
  contract_from: EffectivePolicy['contractFrom'];
  table_registered: boolean;
  table_in_warehouse: boolean;
  /** the plan the processor would execute (decide-evolution.ts), sets as sorted arrays */
  plan: EvolutionPlan;
  model: {
    status: ModelSituation['kind'];
    /** the fields the processor would send to the model, with their types (never their values) */
    fields: Array<{ name: string; type: string }>;
    candidates: string[];
    detail: string;
    answer: Array<{ field: string; column: string | null; confidence: number }> | null;
  };
  row_outcomes: RowOutcome[];
  rescued: RescuedValue[];
  /** rows the `quarantine` contract would send whole to the table's quarantine, with why (never their values) */
  quarantined: QuarantinedRow[];
  /** what the dry run wrote: nothing, or (with --ask-model) the model's answer cache and usage */
  wrote: string[];
}

export interface PlanInput {
  payload: PlannedPayload;
  state: TableState;
  policy: EffectivePolicy;
  model: ModelSituation;
  ref: TableRef;
  hasher: PiiHasher;
}

export function buildPlanReport(input: PlanInput): PlanReport {
  const { payload, state, model } = input;
  const question = modelQuestion(state, payload.batch);
  const verdict = modelVerdict(model, question);
  const contract = input.policy.contract;
  const plan = decideEvolution({ state, batch: payload.batch, provenance: false, contract, ...(verdict === undefined ? {} : { model: verdict }) });
  const schema = schemaAfter(state, plan, input.ref);
  const rescued: RescuedValue[] = [];
  const quarantined: QuarantinedRow[] = [];
  const outcomes = payload.rows.map((row, index): RowOutcome => {
    // A payload to plan is the operator's, never one an erasure rewrote: marker-like text in it is data (loader: message.erased).
    if (payload.message.erased && isErasedRow(row.fields)) return { row: index, outcome: 'skip_erased' };
    const decision = decideRow(payload.message.tenantId, row.fields, row.collisions, schema, input.hasher);
    if (decision.kind === 'quarantine') {
      quarantined.push({ row: index, reason: decision.reason, problems: decision.problems });
      return { row: index, outcome: 'quarantine' };
    }
    const values = Object.entries(decision.shaped.rescued);
    for (const [field, { value, reason }] of values) rescued.push({ row: index, field, value, reason });
    return { row: index, outcome: values.length === 0 ? 'land' : 'land_with_rescue' };
  });
  return {
    tenant: payload.message.tenantId,
    table: payload.table,
    format: payload.format,
    rows: payload.rows.length,
    contract: input.policy.contract,
    contract_from: input.policy.contractFrom,
    table_registered: state.registered !== null,
    table_in_warehouse: state.live !== null,
    plan,
    model: modelReport(model, question),
    row_outcomes: outcomes,
    rescued,
    quarantined,
    wrote: model.kind === 'asked' || (model.kind === 'unavailable' && model.asked) ? ["the model's answer cache and today's call count (--ask-model)"] : [],
  };
}

/** What the registry's askModel would hand decideEvolution in this situation. */
function modelVerdict(model: ModelSituation, question: ModelQuestion | null): ModelVerdict | undefined {
  if (question === null) return undefined;
  const offered = new Set(question.candidates.map((c) => c.logical));
  const answer = new Map<string, AliasDecision>();
  switch (model.kind) {
    case 'no_question':
      return undefined;
    case 'unavailable':
      return { answer: 'unavailable', offered };
    case 'cached':
    case 'asked':
      for (const decision of model.decisions) if (!answer.has(decision.field)) answer.set(decision.field, decision);
      return { answer, offered };
    case 'no_candidates':
    case 'not_asked':
      return { answer, offered };
    default:
      return assertNever(model);
  }
}

function modelReport(model: ModelSituation, question: ModelQuestion | null): PlanReport['model'] {
  const fields = (question?.fields ?? []).map((f) => ({ name: f.name, type: f.type }));
  const candidates = (question?.candidates ?? []).map((c) => c.logical);
  const answerOf = (answers: readonly FieldAnswer[]) => answers.map((a) => ({ field: a.field, column: a.column, confidence: a.confidence }));
  switch (model.kind) {
    case 'no_question':
      return { status: model.kind, fields, candidates, detail: 'no field is left for the model', answer: null };
    case 'no_candidates':
      return {
        status: model.kind,
        fields,
        candidates,
        detail: 'no existing column could take these fields: the model is not called, they become columns',
        answer: null,
      };
    case 'unavailable':
      return {
        status: model.kind,
        fields,
        candidates,
        detail: `the model would not answer (${model.reason}): the dictionary decides what it can, the rest become columns`,
        answer: null,
      };
    case 'cached':
      return {
        status: model.kind,
        fields,
        candidates,
        detail: `cached answer of ${model.model}: the processor would take it without a call`,
        answer: answerOf(model.answers),
      };
    case 'asked':
      return {
        status: model.kind,
        fields,
        candidates,
        detail: `asked ${model.model} now (--ask-model)`,
        answer: model.decisions.map((d) => ({ field: d.field, column: d.column, confidence: Number(d.evidence['confidence'] ?? 0) })),
      };
    case 'not_asked':
      return {
        status: model.kind,
        fields,
        candidates,
        detail: `${model.model} would be asked (no cached answer); shown as if it mapped none of them. --ask-model asks it (spends budget)`,
        answer: null,
      };
    default:
      return assertNever(model);
  }
}

/** The table's schema once the plan is recorded: what the loader would shape the rows with. */
export function schemaAfter(state: TableState, plan: EvolutionPlan, ref: TableRef): TableSchema {
  const columns = new Map<string, RegisteredColumn>((state.registered ?? []).map((c) => [c.logical, { ...c }]));
  for (const column of plan.columns)
    columns.set(column.logical, { logical: column.logical, physical: column.physical, type: column.type, pii: column.piiSource !== null });
  for (const { logical, to } of plan.widened) {
    const column = columns.get(logical);
    if (column !== undefined) column.type = to;
  }
  for (const { column } of plan.lateFlags) {
    const flagged = columns.get(column);
    if (flagged !== undefined) flagged.pii = true;
  }
  const aliases = new Map([...state.aliases, ...plan.aliases.map((a) => [a.field, a.column] as const)]);
  return { ref, columns, aliases, version: 0, provenance: plan.provenance, contract: plan.contract };
}

/** The report as JSON: the plan's sets as sorted arrays. */
export function planReportJson(report: PlanReport): unknown {
  return JSON.parse(
    JSON.stringify(report, (_key, value: unknown) =>
      value instanceof Set ? [...(value as Set<string>)].sort() : typeof value === 'bigint' ? value.toString() : value,
    ),
  );
}
