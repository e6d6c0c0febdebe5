// Values and column types: inference from JSON values, unification, widening and coercion, read off the type table. Pure.
import { isIsoDate, isIsoTimestamp } from '../../shared/timestamps.ts';
import { stringifyJson } from '../normalize/parse-payload.ts';
import {
  BIGINT,
  BIGINT_RANGE,
  BOOLEAN,
  DATE,
  DOUBLE,
  INFERRED_NUMBERS,
  MAX_DECIMAL_PRECISION,
  TIMESTAMP_TZ,
  VARCHAR,
  WIDE_INTEGER,
  decimalType,
  parseDecimal,
  traitsOf,
  type ColumnType,
  type InferredType,
  type TypeTraits,
  type WholeRange,
} from './type-table.ts';

// The names and the table's own lookups live in type-table.ts; these importers of column-types.ts keep working.
export {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  INTEGER,
  REAL,
  TIMESTAMP_TZ,
  VARCHAR,
  WIDE_INTEGER,
  canWiden,
  columnType,
  fitsAliasTarget,
  isLegalWidening,
} from './type-table.ts';
export type { ColumnType, DecimalType, ForeignType, InferredType, NamedType } from './type-table.ts';

/**
 * The inference rules (README "Type inference"): null → no type (a null-only field adds no column yet);
 * true/false → boolean; a whole number that fits in 64 bits → bigint; a wider whole number (a `bigint` from
 * parsePayload) of at most 38 digits → decimal(38,0), exactly; any other number → double (a whole number of
 * more than 38 digits too: no exact column holds it, and jsonb writes `1e40` out as 41 digits);
 * "YYYY-MM-DD" that is a real calendar date → date; an ISO-8601 timestamp WITH an offset (Z or ±hh:mm) →
 * timestamp(6) with time zone; any other string → varchar; an array → varchar holding its JSON text.
 */
export function inferType(value: unknown): InferredType | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return BOOLEAN;
  if (typeof value === 'number') return Number.isInteger(value) && withinRange(value, BIGINT_RANGE) ? BIGINT : DOUBLE;
  if (typeof value === 'bigint') {
    if (withinRange(value, BIGINT_RANGE)) return BIGINT;
    return integerDigits(value) <= MAX_DECIMAL_PRECISION ? WIDE_INTEGER : DOUBLE;
  }
  if (typeof value === 'string') {
    if (isIsoDate(value)) return DATE;
    if (isIsoTimestamp(value)) return TIMESTAMP_TZ;
    return VARCHAR;
  }
  return VARCHAR;
}

/**
 * The type a NEW column gets when a batch carries several types for it: the narrowest that holds them all. Mixed
 * numbers take the wider one (INFERRED_NUMBERS; double rounds, as JSON numbers always could); other mixes, varchar.
 */
export function unifyTypes(a: InferredType, b: InferredType): InferredType {
  if (a === b) return a;
  const [rankA, rankB] = [INFERRED_NUMBERS.indexOf(a), INFERRED_NUMBERS.indexOf(b)];
  if (rankA !== -1 && rankB !== -1) return rankA > rankB ? a : b;
  return VARCHAR;
}

/**
 * The type to widen a column to so a value of type `incoming` fits, or null: the column's promotion in the type
 * table (integer → bigint, real → double), or a decimal's wider precision at the same scale.
 */
export function widenFor(column: ColumnType, incoming: InferredType, value: unknown): ColumnType | null {
  const traits = traitsOf(column);
  const promotion = traits?.promotion;
  if (promotion !== undefined && promotion.for.includes(incoming)) {
    const range = traits?.range;
    const fitsAlready = promotion.onlyBeyondRange === true && range !== undefined && isWholeNumber(value) && withinRange(value, range);
    return fitsAlready ? null : promotion.to;
  }
  const decimal = parseDecimal(column);
  if (decimal !== null && (typeof value === 'number' || typeof value === 'bigint')) {
    const needed = integerDigits(value) + decimal.scale;
    if (needed > decimal.precision && needed <= MAX_DECIMAL_PRECISION) return decimalType(needed, decimal.scale);
  }
  return null;
}

/** A value ready for a column: its canonical text in that type (see the renderer), or null. */
export type Cell = { type: ColumnType; text: string } | null;

export type Coercion = { ok: true; cell: Cell } | { ok: false; reason: string };

/** Fits a JSON value into a column, or says why it cannot (the caller rescues the value; nothing is dropped). */
export function coerceValue(value: unknown, column: ColumnType): Coercion {
  if (value === null || value === undefined) return { ok: true, cell: null };
  const traits = traitsOf(column);
  const refuse = (): Coercion => ({ ok: false, reason: `column is ${column}, value is ${describe(value)}` });
  switch (traits?.family) {
    case 'text':
      return { ok: true, cell: { type: column, text: typeof value === 'string' ? value : stringifyJson(value) } };
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, cell: { type: column, text: String(value) } } : refuse();
    case 'date':
      return typeof value === 'string' && isIsoDate(value) ? { ok: true, cell: { type: column, text: value } } : refuse();
    case 'timestamp':
      return typeof value === 'string' && isIsoTimestamp(value) ? { ok: true, cell: { type: column, text: canonicalTimestamp(value) } } : refuse();
    case 'number':
      return typeof value === 'number' || typeof value === 'bigint' ? (coerceNumber(value, column, traits!) ?? refuse()) : refuse();
    case undefined:
      return refuse();
  }
}

/** A number into a number column: whole types by their range, floating ones by their magnitude, decimals by their digits. */
function coerceNumber(value: number | bigint, column: ColumnType, traits: TypeTraits): Coercion | null {
  const cell = (text: string): Coercion => ({ ok: true, cell: { type: column, text } });
  const decimal = parseDecimal(column);
  if (decimal !== null) {
    // Rounding would change the value: only values with at most `scale` decimals and room for their digits fit.
    if (integerDigits(value) + decimal.scale > decimal.precision || fractionDigits(value) > decimal.scale) {
      return { ok: false, reason: `${value} does not fit ${column} without rounding` };
    }
    return cell(String(value));
  }
  if (traits.range !== undefined) {
    if (typeof value === 'bigint' && column === BIGINT && !withinRange(value, traits.range)) {
      return { ok: false, reason: `${value} is out of range for bigint (beyond 64 bits; a bigint column cannot become a decimal)` };
    }
    if (!isWholeNumber(value)) return null;
    if (!withinRange(value, traits.range)) return { ok: false, reason: `${value} is out of range for ${column}` };
    return cell(BigInt(value).toString());
  }
  // A bigint travels as its exact digits; the warehouse rounds it to the nearest double, as for any JSON number.
  if (traits.magnitude !== undefined && Math.abs(Number(value)) > traits.magnitude) return { ok: false, reason: `${value} is out of range for ${column}` };
  return cell(String(value));
}

const TIMESTAMP_PARTS = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-]\d{2}):?(\d{2}))$/;

/** `2026-06-12T10:00:00.1234567+0530` → `2026-06-12 10:00:00.123456 +05:30` (microseconds, as timestamp(6) holds). */
export function canonicalTimestamp(value: string): string {
  const match = TIMESTAMP_PARTS.exec(value);
  if (match === null) throw new Error(`not an ISO-8601 timestamp: ${value}`);
  const [, date, hourMinute, seconds = '00', fraction = '', zulu, offsetHours, offsetMinutes] = match;
  const offset = zulu !== undefined ? '+00:00' : `${offsetHours}:${offsetMinutes}`;
  return `${date} ${hourMinute}:${seconds}.${fraction.slice(0, 6).padEnd(6, '0')} ${offset}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const type = inferType(value);
    return type === VARCHAR ? 'text' : `text shaped as ${type}`;
  }
  if (isWholeNumber(value)) return 'a whole number';
  if (typeof value === 'number') return 'a fractional number';
  return `a ${typeof value}`;
}

function isWholeNumber(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
}

function withinRange(value: number | bigint, range: WholeRange): boolean {
  // A number compares with a bigint exactly: no rounding to 2^63 on the way.
  return (typeof value === 'bigint' || Number.isInteger(value)) && value >= range.min && value <= range.max;
}

function integerDigits(value: number | bigint): number {
  if (typeof value === 'bigint') return (value < 0n ? -value : value).toString().length;
  // Through BigInt: String(1e21) is "1e+21", not its 22 digits.
  return Number.isFinite(value) ? BigInt(Math.trunc(Math.abs(value))).toString().length : Number.POSITIVE_INFINITY;
}

function fractionDigits(value: number | bigint): number {
  if (typeof value === 'bigint') return 0;
  const text = String(value);
  if (/e/i.test(text)) return Number.POSITIVE_INFINITY; // 1e-7 and 1e21: never a plain decimal literal
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}
