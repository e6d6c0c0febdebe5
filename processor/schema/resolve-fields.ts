// Which existing column, if any, each incoming field means, payload by payload: known aliases, full coverage,
// typos, the dictionary — everything that needs no model — and which fields are past the column cap. Pure;
// what it cannot decide is left for the AI matcher (one question per batch, see `resolveMessages`).
import { MAX_COLUMNS_PER_TABLE } from '../../shared/ingest-limits.ts';
import type { InferredType } from './column-types.ts';
import { fitsAliasTarget } from './type-table.ts';
import { columnFor, type RegisteredColumn } from './table-schema.ts';
import { synonymGroup } from './synonyms.ts';
import { typoCandidate } from './typo-match.ts';

export type AliasSource = 'typo' | 'dictionary' | 'model';

export interface AliasDecision {
  field: string;
  column: string;
  decidedBy: AliasSource;
  evidence: Record<string, unknown>;
}

export interface ResolveInput {
  columns: readonly RegisteredColumn[];
  /** known aliases: field → logical column */
  aliases: ReadonlyMap<string, string>;
  /** every field of one payload (message) with the type of its non-null values (null: only nulls so far) */
  fields: ReadonlyMap<string, InferredType | null>;
  /** `field\u0000column` pairs an operator undid: never proposed again */
  rejected?: ReadonlySet<string>;
  /** how many more data columns the table may get; default MAX_COLUMNS_PER_TABLE minus its columns */
  room?: number;
}

export interface ResolutionPlan {
  /** field → column, from aliases already known */
  applied: Map<string, string>;
  /** new aliases, with their evidence */
  create: AliasDecision[];
  /** fields that become new columns */
  newColumns: string[];
  /** fields the offline steps could not place: the AI matcher's question (new columns without a model) */
  forModel: string[];
  /** the columns the model may choose for `forModel`: registered, left unfilled by this payload, not taken by `create` */
  candidates: RegisteredColumn[];
  /** when the model cannot answer: what the dictionary alone decides for `forModel` (the rest become columns) */
  dictionaryFallback: AliasDecision[];
  /** new fields past the table's room: not examined, given no column; their values go to `_boitata_rescue` */
  pastCap: string[];
  /** which rule decided the new columns: 'full_coverage' skips the matchers entirely */
  reason: 'nothing_new' | 'full_coverage' | 'matched';
}

/**
 * The spec's rules, applied to one payload (one message):
 * 1. Known aliases apply first. 2. Full coverage: when every registered column is present, extra fields are new
 * columns. 3. Typos, when 1 or 2 fields are new: see `typoCandidate`. 4. The dictionary, likewise. 5. What is
 * left, or every new field when there are more than 2, goes to the model (with no model: the dictionary, then new
 * columns). Steps 3–5 only map onto registered columns this payload left unfilled, with a compatible type, one
 * field per column.
 *
 * The cost is bounded by the column cap: only the first `room` new fields (by name) are examined — each either
 * becomes an alias or takes one of the `room` free columns — and the rest are `pastCap`. Edit distances are
 * computed only for 1 or 2 new fields (banded: O(length) a pair); with more, only dictionary words are compared
 * with the columns, so a payload costs O(fields + columns × dictionary words).
 */
export function resolveFields(input: ResolveInput): ResolutionPlan {
  return resolvePayload(new Map(input.columns.map((c) => [c.logical, c])), input.aliases, input.fields, input.rejected ?? new Set(), input.room);
}

function resolvePayload(
  registered: ReadonlyMap<string, RegisteredColumn>,
  aliases: ReadonlyMap<string, string>,
  fields: ReadonlyMap<string, InferredType | null>,
  rejected: ReadonlySet<string>,
  roomLeft: number | undefined,
): ResolutionPlan {
  const plan: ResolutionPlan = {
    applied: new Map(),
    create: [],
    newColumns: [],
    forModel: [],
    candidates: [],
    dictionaryFallback: [],
    pastCap: [],
    reason: 'nothing_new',
  };
  const present = new Set<string>();
  const unknown: Array<[string, InferredType]> = [];
  for (const [field, type] of fields) {
    const column = columnFor({ columns: registered, aliases }, field);
    if (column !== undefined) {
      if (column.logical !== field) plan.applied.set(field, column.logical);
      present.add(column.logical);
    } else if (type !== null) {
      unknown.push([field, type]);
    }
  }
  if (unknown.length === 0) return plan;
  unknown.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const room = Math.max(0, roomLeft ?? MAX_COLUMNS_PER_TABLE - registered.size);
  plan.pastCap = unknown.slice(room).map(([field]) => field);
  const examined = unknown.slice(0, room);
  if (examined.length === 0) return plan;
  if (present.size === registered.size) {
    plan.newColumns = examined.map(([field]) => field);
    plan.reason = 'full_coverage';
    return plan;
  }
  plan.reason = 'matched';
  const unfilled = [...registered.values()].filter((c) => !present.has(c.logical));
  const allowed = (field: string) => unfilled.filter((c) => !rejected.has(`${field}\u0000${c.logical}`));
  const taken = new Set<string>();
  let left = examined;
  if (unknown.length > 2) {
    // More than two new fields: a drifted payload, the model's question (the dictionary only if it cannot answer).
    plan.dictionaryFallback = dictionaryMatches(examined, allowed, new Set()).decisions;
  } else {
    left = examined.filter(([field, type]) => {
      const match = typoCandidate(
        field,
        type,
        allowed(field).filter((c) => !taken.has(c.logical)),
      );
      if (match === null) return true;
      taken.add(match.column);
      plan.create.push({ field, column: match.column, decidedBy: 'typo', evidence: { distance: match.distance } });
      return false;
    });
    const dictionary = dictionaryMatches(left, allowed, taken);
    plan.create.push(...dictionary.decisions);
    left = dictionary.left;
  }
  plan.forModel = left.map(([field]) => field);
  // A column no asked field's type fits is never offered.
  const types = [...new Set(left.map(([, type]) => type))];
  plan.candidates = unfilled.filter((c) => !taken.has(c.logical) && types.some((type) => fitsAliasTarget(type, c.type)));
  return plan;
}

/** What the model answered the batch's question: field → the column it means (its confident answers only). */
export type ModelAnswer = ReadonlyMap<string, AliasDecision> | 'unavailable';

export interface MessagesInput {
  columns: readonly RegisteredColumn[];
  aliases: ReadonlyMap<string, string>;
  /** each message's (payload's) fields with the type of its non-null values, in queue order */
  messages: ReadonlyArray<ReadonlyMap<string, InferredType | null>>;
  rejected?: ReadonlySet<string>;
  room?: number;
  /**
   * The model's answer to `question` (from a first call without it), or 'unavailable' (not configured, down,
   * out of budget: the dictionary decides what it can). Absent: not asked; the fields for it become columns.
   */
  model?: ModelAnswer;
  /** the columns the question offered (its `candidates`): the model's word about any other column is ignored */
  offered?: ReadonlySet<string>;
}

export interface MessagesResolution {
  /** new aliases, in the order decided */
  create: AliasDecision[];
  /** new columns, each with the type of the first message that made it */
  newColumns: Map<string, InferredType>;
  /** fields no message could give a column or an alias: their values go to `_boitata_rescue` */
  pastCap: string[];
  /**
   * The batch's one question for the model: the fields left for it, and the columns it may choose — those the
   * asking messages left unfilled.
   */
  question: { fields: string[]; candidates: RegisteredColumn[] };
}

/**
 * Each message resolved by the payload rules above, one after another in queue order, against the schema as the
 * previous messages left it (a field one made a column is a column for the next; an alias one made applies):
 * the outcome is that of landing each message alone, in queue order, whatever else shares the batch.
 *
 * The model is asked once per batch: called without `model`, this gathers every message's question (the
 * fields for the model become columns meanwhile, so later messages see them as the no-model outcome);
 * called again with the answer, a message takes the model's column for a field only when it is valid for that
 * message (a candidate it left unfilled, not taken by another of its fields, of a compatible type, not undone by
 * an operator) and was offered. A field the answer does not cover becomes a column. One question serves the
 * batch, but each message's part of it is what that message alone would have asked.
 */
export function resolveMessages(input: MessagesInput): MessagesResolution {
  const registered = new Map(input.columns.map((c) => [c.logical, c]));
  const aliases = new Map(input.aliases);
  const rejected = input.rejected ?? new Set<string>();
  let room = Math.max(0, input.room ?? MAX_COLUMNS_PER_TABLE - registered.size);
  const result: MessagesResolution = { create: [], newColumns: new Map(), pastCap: [], question: { fields: [], candidates: [] } };
  const asked = new Set<string>();
  const offered = new Map<string, RegisteredColumn>();
  const pastCap = new Set<string>();
  for (const fields of input.messages) {
    const plan = resolvePayload(registered, aliases, fields, rejected, room);
    const decided: AliasDecision[] = [...plan.create];
    const columns = [...plan.newColumns];
    if (plan.forModel.length > 0) {
      for (const field of plan.forModel) asked.add(field);
      for (const column of plan.candidates) offered.set(column.logical, column);
      if (input.model === 'unavailable') {
        decided.push(...plan.dictionaryFallback);
      } else if (input.model !== undefined) {
        const open = new Set(plan.candidates.map((c) => c.logical));
        for (const field of plan.forModel) {
          const answer = input.model.get(field);
          const target = answer === undefined ? undefined : registered.get(answer.column);
          const type = fields.get(field);
          if (answer === undefined || target === undefined || type == null || !open.has(target.logical) || !fitsAliasTarget(type, target.type)) continue;
          if (input.offered !== undefined && !input.offered.has(target.logical)) continue;
          if (rejected.has(`${field}\u0000${target.logical}`)) continue;
          open.delete(target.logical); // one field per column within a payload
          decided.push({ ...answer, field });
        }
      }
      const aliased = new Set(decided.map((d) => d.field));
      columns.push(...plan.forModel.filter((field) => !aliased.has(field)));
    }
    for (const decision of decided) {
      aliases.set(decision.field, decision.column);
      result.create.push(decision);
    }
    for (const field of columns) {
      const type = fields.get(field)!;
      // Only its name and type matter to the next messages' resolution; the registry gives it its physical name.
      registered.set(field, { logical: field, physical: field, type });
      result.newColumns.set(field, type);
      room -= 1;
    }
    for (const field of plan.pastCap) pastCap.add(field);
  }
  result.pastCap = [...pastCap].filter((field) => !registered.has(field) && !aliases.has(field));
  result.question = { fields: [...asked], candidates: [...offered.values()] };
  return result;
}

/** A field whose dictionary group holds exactly one unfilled, type-compatible column maps onto it. */
function dictionaryMatches(fields: ReadonlyArray<[string, InferredType]>, allowed: (field: string) => RegisteredColumn[], taken: Set<string>) {
  const decisions: AliasDecision[] = [];
  const left = fields.filter(([field, type]) => {
    const group = synonymGroup(field);
    if (group === null) return true;
    const candidates = allowed(field).filter((c) => !taken.has(c.logical) && synonymGroup(c.logical) === group && fitsAliasTarget(type, c.type));
    if (candidates.length !== 1) return true;
    taken.add(candidates[0]!.logical);
    decisions.push({ field, column: candidates[0]!.logical, decidedBy: 'dictionary', evidence: { group } });
    return false;
  });
  return { decisions, left };
}
