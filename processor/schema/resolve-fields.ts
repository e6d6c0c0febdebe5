// Which existing column, if any, each incoming field means: known aliases, full coverage, typos, the
// dictionary — everything that needs no model. Pure; what it cannot decide is left for the AI matcher.
import levenshtein from 'js-levenshtein';
import { BIGINT, BOOLEAN, DATE, DOUBLE, TIMESTAMP_TZ, VARCHAR, type ColumnType, type InferredType } from './column-types.ts';
import type { RegisteredColumn } from './plan-schema-change.ts';
import { synonymGroup } from './synonyms.ts';

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
  /** every incoming field with the type of its non-null values (null: only nulls so far) */
  fields: ReadonlyMap<string, InferredType | null>;
  /** `field\u0000column` pairs an operator undid: never proposed again */
  rejected?: ReadonlySet<string>;
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
  /** when the model cannot answer: what the dictionary alone decides for `forModel` (the rest become columns) */
  dictionaryFallback: AliasDecision[];
  /** which rule decided the new columns: 'full_coverage' skips the matchers entirely */
  reason: 'nothing_new' | 'full_coverage' | 'matched';
}

/**
 * 1. Known aliases apply first. 2. Full coverage: when every registered column is present, extra fields are new
 * columns. 3. Typos, when 1 or 2 fields are new: see `typoCandidate`. 4. The dictionary, likewise. 5. What is
 * left, or every new field when there are more than 2, goes to the model (with no model: the dictionary, then new
 * columns). Steps 3–5 only map onto registered columns this payload left unfilled, with a compatible type.
 */
export function resolveFields(input: ResolveInput): ResolutionPlan {
  const plan: ResolutionPlan = { applied: new Map(), create: [], newColumns: [], forModel: [], dictionaryFallback: [], reason: 'nothing_new' };
  const registered = new Map(input.columns.map((c) => [c.logical, c]));
  const present = new Set<string>();
  const unknown: Array<[string, InferredType]> = [];
  for (const [field, type] of input.fields) {
    const target = registered.has(field) ? field : input.aliases.get(field);
    if (target !== undefined && registered.has(target)) {
      if (target !== field) plan.applied.set(field, target);
      present.add(target);
    } else if (type !== null) {
      unknown.push([field, type]);
    }
  }
  if (unknown.length === 0) return plan;
  if (input.columns.every((c) => present.has(c.logical))) {
    plan.newColumns = unknown.map(([field]) => field);
    plan.reason = 'full_coverage';
    return plan;
  }
  plan.reason = 'matched';
  const rejected = input.rejected ?? new Set<string>();
  const allowed = (field: string) => input.columns.filter((c) => !present.has(c.logical) && !rejected.has(`${field}\u0000${c.logical}`));
  if (unknown.length > 2) {
    // More than two new fields: a drifted payload, the model's question (the dictionary only if it cannot answer).
    plan.forModel = unknown.map(([field]) => field);
    plan.dictionaryFallback = dictionaryMatches(unknown, allowed, new Set()).decisions;
    return plan;
  }
  const taken = new Set<string>();
  const left = unknown.filter(([field, type]) => {
    const match = typoCandidate(field, type, allowed(field).filter((c) => !taken.has(c.logical)));
    if (match === null) return true;
    taken.add(match.column);
    plan.create.push({ field, column: match.column, decidedBy: 'typo', evidence: { distance: match.distance } });
    return false;
  });
  const dictionary = dictionaryMatches(left, allowed, taken);
  plan.create.push(...dictionary.decisions);
  plan.forModel = dictionary.left.map(([field]) => field);
  return plan;
}

/** A field whose dictionary group holds exactly one unfilled, type-compatible column maps onto it. */
function dictionaryMatches(fields: ReadonlyArray<[string, InferredType]>, allowed: (field: string) => RegisteredColumn[], taken: Set<string>) {
  const decisions: AliasDecision[] = [];
  const left = fields.filter(([field, type]) => {
    const group = synonymGroup(field);
    if (group === null) return true;
    const candidates = allowed(field).filter((c) => !taken.has(c.logical) && synonymGroup(c.logical) === group && compatible(type, c.type));
    if (candidates.length !== 1) return true;
    taken.add(candidates[0]!.logical);
    decisions.push({ field, column: candidates[0]!.logical, decidedBy: 'dictionary', evidence: { group } });
    return false;
  });
  return { decisions, left };
}

/**
 * The typo rule: Levenshtein distance <= 2 on the lowercased names, AND the shorter name has at least
 * 2 × distance + 1 characters (so `id`/`ip` and `lat`/`lon` never merge), AND the types are compatible, AND
 * exactly one column has the smallest distance (a tie is refused).
 */
export function typoCandidate(field: string, type: InferredType, columns: readonly RegisteredColumn[]): { column: string; distance: number } | null {
  let best: { column: string; distance: number } | null = null;
  let tie = false;
  for (const column of columns) {
    // Distance 0 is a field that differs only in case (`Phone` for `phone`): the same column.
    const distance = levenshtein(field.toLowerCase(), column.logical.toLowerCase());
    if (distance > 2) continue;
    if (distance > 0 && Math.min(field.length, column.logical.length) < 2 * distance + 1) continue;
    if (!compatible(type, column.type)) continue;
    if (best === null || distance < best.distance) {
      best = { column: column.logical, distance };
      tie = false;
    } else if (distance === best.distance) {
      tie = true;
    }
  }
  return tie ? null : best;
}

/** A varchar column takes anything; a numeric one needs a number; others need their own type. */
export function compatible(incoming: InferredType, column: ColumnType): boolean {
  if (column === VARCHAR) return true;
  if ([BIGINT, DOUBLE, 'integer', 'real'].includes(column) || column.startsWith('decimal(')) return incoming === BIGINT || incoming === DOUBLE;
  if (column === BOOLEAN) return incoming === BOOLEAN;
  if (column === DATE) return incoming === DATE;
  if (column === TIMESTAMP_TZ) return incoming === TIMESTAMP_TZ;
  return false;
}
