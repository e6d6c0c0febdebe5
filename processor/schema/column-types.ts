// Warehouse column types: inference from JSON values, unification, the widening table, and value coercion. Pure.
import { isIsoDate, isIsoTimestamp } from '../../shared/timestamps.ts';
import { stringifyJson } from '../normalize/parse-payload.ts';

export const BOOLEAN = 'boolean';
export const BIGINT = 'bigint';
export const DOUBLE = 'double';
export const VARCHAR = 'varchar';
export const DATE = 'date';
export const TIMESTAMP_TZ = 'timestamp(6) with time zone';
/** Whole numbers wider than 64 bits: the widest exact integer type Trino/Iceberg and DuckDB share. */
export const WIDE_INTEGER = 'decimal(38,0)';

/** The types Boitatá infers; an adopted table may also hold others (integer, real, decimal(p,s), ...). */
export type InferredType =
  | typeof BOOLEAN | typeof BIGINT | typeof WIDE_INTEGER | typeof DOUBLE | typeof VARCHAR | typeof DATE | typeof TIMESTAMP_TZ;
export type ColumnType = string;

const BIGINT_MAX = 2n ** 63n - 1n;
const MAX_DECIMAL_DIGITS = 38;
const REAL_MAX = 3.4028234663852886e38;

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
  if (typeof value === 'number') return Number.isInteger(value) && fitsBigint(value) ? BIGINT : DOUBLE;
  if (typeof value === 'bigint') return fitsBigint(value) ? BIGINT : integerDigits(value) <= MAX_DECIMAL_DIGITS ? WIDE_INTEGER : DOUBLE;
  if (typeof value === 'string') {
    if (isIsoDate(value)) return DATE;
    if (isIsoTimestamp(value)) return TIMESTAMP_TZ;
    return VARCHAR;
  }
  return VARCHAR;
}

/** The type a NEW column gets when a batch carries several types for it: the narrowest that holds them all. */
export function unifyTypes(a: InferredType, b: InferredType): InferredType {
  if (a === b) return a;
  if (NUMERIC_RANK[a] !== undefined && NUMERIC_RANK[b] !== undefined) return NUMERIC_RANK[a] > NUMERIC_RANK[b] ? a : b;
  return VARCHAR;
}

// bigint ⊂ decimal(38,0) ⊂ double: mixed numbers take the wider one (double rounds, as JSON numbers always could).
const NUMERIC_RANK: Partial<Record<InferredType, number>> = { [BIGINT]: 0, [WIDE_INTEGER]: 1, [DOUBLE]: 2 };

/**
 * The only promotions Iceberg allows on an existing column: integer → bigint, real → double, and a wider
 * decimal precision at the same scale. Returns the type to widen to so `incoming` fits, or null.
 */
export function widenFor(column: ColumnType, incoming: InferredType, value: unknown): ColumnType | null {
  if (column === 'integer' && incoming === BIGINT && !fitsInteger(value)) return BIGINT;
  if (column === 'real' && (incoming === DOUBLE || incoming === BIGINT || incoming === WIDE_INTEGER)) return DOUBLE;
  // An existing bigint column never widens to decimal: Iceberg does not allow it (the value is rescued instead).
  const decimal = parseDecimal(column);
  if (decimal !== null && (typeof value === 'number' || typeof value === 'bigint')) {
    const needed = integerDigits(value) + decimal.scale;
    if (needed > decimal.precision && needed <= MAX_DECIMAL_DIGITS) return `decimal(${needed},${decimal.scale})`;
  }
  return null;
}

/** Whether a column of this type could ever be widened (integer, real, decimal). */
export function canWiden(column: ColumnType): boolean {
  return column === 'integer' || column === 'real' || parseDecimal(column) !== null;
}

/** Whether Iceberg allows changing `from` into `to` in place. */
export function isLegalWidening(from: ColumnType, to: ColumnType): boolean {
  if (from === 'integer' && to === BIGINT) return true;
  if (from === 'real' && to === DOUBLE) return true;
  const a = parseDecimal(from);
  const b = parseDecimal(to);
  return a !== null && b !== null && a.scale === b.scale && b.precision > a.precision;
}

/** A value ready for a column: its canonical text in that type (see the renderer), or null. */
export type Cell = { type: ColumnType; text: string } | null;

export type Coercion = { ok: true; cell: Cell } | { ok: false; reason: string };

/** Fits a JSON value into a column, or says why it cannot (the caller rescues the value; nothing is dropped). */
export function coerceValue(value: unknown, column: ColumnType): Coercion {
  if (value === null || value === undefined) return { ok: true, cell: null };
  const found = describe(value);
  const refuse = (): Coercion => ({ ok: false, reason: `column is ${column}, value is ${found}` });
  switch (column) {
    case VARCHAR:
      return { ok: true, cell: { type: VARCHAR, text: typeof value === 'string' ? value : stringifyJson(value) } };
    case BOOLEAN:
      return typeof value === 'boolean' ? { ok: true, cell: { type: BOOLEAN, text: String(value) } } : refuse();
    case BIGINT:
    case 'integer':
      if (typeof value === 'bigint' && column === BIGINT && !fitsBigint(value)) {
        return { ok: false, reason: `${value} is out of range for bigint (beyond 64 bits; a bigint column cannot become a decimal)` };
      }
      if (!isWholeNumber(value)) return refuse();
      if (column === 'integer' ? !fitsInteger(value) : !fitsBigint(value)) return { ok: false, reason: `${value} is out of range for ${column}` };
      return { ok: true, cell: { type: column, text: BigInt(value).toString() } };
    case DOUBLE:
      // A bigint travels as its exact digits; the warehouse rounds it to the nearest double, as for any JSON number.
      return typeof value === 'number' || typeof value === 'bigint' ? { ok: true, cell: { type: column, text: String(value) } } : refuse();
    case 'real':
      if (typeof value !== 'number' && typeof value !== 'bigint') return refuse();
      return Math.abs(Number(value)) <= REAL_MAX ? { ok: true, cell: { type: column, text: String(value) } } : { ok: false, reason: `${value} is out of range for real` };
    case DATE:
      return typeof value === 'string' && isIsoDate(value) ? { ok: true, cell: { type: DATE, text: value } } : refuse();
    case TIMESTAMP_TZ:
      return typeof value === 'string' && isIsoTimestamp(value)
        ? { ok: true, cell: { type: TIMESTAMP_TZ, text: canonicalTimestamp(value) } }
        : refuse();
    default: {
      const decimal = parseDecimal(column);
      if (decimal === null || (typeof value !== 'number' && typeof value !== 'bigint')) return refuse();
      // Rounding would change the value: only values with at most `scale` decimals and room for their digits fit.
      if (integerDigits(value) + decimal.scale > decimal.precision || fractionDigits(value) > decimal.scale) {
        return { ok: false, reason: `${value} does not fit ${column} without rounding` };
      }
      return { ok: true, cell: { type: column, text: String(value) } };
    }
  }
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

function fitsBigint(value: number | bigint): boolean {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return true;
    if (!Number.isInteger(value)) return false;
  }
  const exact = BigInt(value);
  return exact <= BIGINT_MAX && exact >= -BIGINT_MAX - 1n;
}

function fitsInteger(value: unknown): boolean {
  return isWholeNumber(value) && value <= 2_147_483_647 && value >= -2_147_483_648;
}

function parseDecimal(type: ColumnType): { precision: number; scale: number } | null {
  const match = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  return match === null ? null : { precision: Number(match[1]), scale: Number(match[2]) };
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
