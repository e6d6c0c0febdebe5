// The column types as one table: names, families, Iceberg's legal promotions, the canonical text of a value and each
// dialect's spelling. Inference, widening, alias compatibility, coercion and both SQL renderers read it. Pure.

// The port's type names are Trino's; DuckDB's spellings are in the table.
export const BOOLEAN = 'boolean';
export const INTEGER = 'integer';
export const BIGINT = 'bigint';
export const REAL = 'real';
export const DOUBLE = 'double';
export const VARCHAR = 'varchar';
export const DATE = 'date';
export const TIMESTAMP_TZ = 'timestamp(6) with time zone';
/** The most digits a decimal holds, in Trino/Iceberg and DuckDB alike. */
export const MAX_DECIMAL_PRECISION = 38;
/** Whole numbers wider than 64 bits: the widest exact integer type Trino/Iceberg and DuckDB share. */
export const WIDE_INTEGER = 'decimal(38,0)';

/** The types of fixed name: those in the table below. */
export type NamedType = typeof BOOLEAN | typeof INTEGER | typeof BIGINT | typeof REAL | typeof DOUBLE | typeof VARCHAR | typeof DATE | typeof TIMESTAMP_TZ;
/** decimal(p,s): Boitatá creates decimal(38,0) and widens an adopted table's decimals; both are written. */
export type DecimalType = `decimal(${number},${number})`;
declare const foreign: unique symbol;
/**
 * A type Boitatá neither creates nor writes, found in an adopted table: varchar(n), smallint, row(...), map(...),
 * array(...), uuid, ... Only columnType() makes one, so a literal that is not a port type fails to compile.
 */
export type ForeignType = string & { readonly [foreign]: true };
export type ColumnType = NamedType | DecimalType | ForeignType;

/** The types Boitatá infers from JSON values (column-types.ts, inferType). */
export type InferredType = typeof BOOLEAN | typeof BIGINT | typeof WIDE_INTEGER | typeof DOUBLE | typeof VARCHAR | typeof DATE | typeof TIMESTAMP_TZ;

/** The inferred number types from the most exact to the widest (bigint ⊂ decimal(38,0) ⊂ double). */
export const INFERRED_NUMBERS: readonly InferredType[] = [BIGINT, WIDE_INTEGER, DOUBLE];

/** What a value of the type is: an alias may join a column of its own family (any family may join text). */
export type TypeFamily = 'boolean' | 'number' | 'text' | 'date' | 'timestamp';

// The canonical text of a value, as coerceValue makes it and the writers check it again (with capture groups for
// the DuckDB writer, which parses dates and timestamps).
export const INTEGER_TEXT = /^-?\d+$/;
export const NUMBER_TEXT = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;
export const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
export const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6}) ([+-])(\d{2}):(\d{2})$/;
const BOOLEAN_TEXT = /^(?:true|false)$/;

export interface TypeTraits {
  family: TypeFamily;
  /** a whole-number type's bounds */
  range?: WholeRange;
  /** a floating type's largest magnitude */
  magnitude?: number;
  /** the one change Iceberg allows in place, and the incoming types it is taken for */
  promotion?: Promotion;
  /** the canonical text of a value; null: any text */
  text: RegExp | null;
  /** how a value travels in JSON (Trino's batch document): as a JSON string, or its text as a JSON literal */
  json: 'string' | 'literal';
  /** DuckDB's name for the type (decimal: with its precision and scale), and what else its catalog calls it */
  duckdb: string;
  duckdbAlso?: readonly string[];
}

export interface WholeRange {
  readonly min: bigint;
  readonly max: bigint;
}

export interface Promotion {
  to: NamedType;
  for: readonly InferredType[];
  /** only for a value beyond the column's range: an integer column holds every whole number in it exactly */
  onlyBeyondRange?: true;
}

export const INTEGER_RANGE = { min: -(2n ** 31n), max: 2n ** 31n - 1n } as const;
export const BIGINT_RANGE = { min: -(2n ** 63n), max: 2n ** 63n - 1n } as const;
const REAL_MAX = 3.4028234663852886e38;

export const TYPE_TABLE: Readonly<Record<NamedType, TypeTraits>> = {
  [BOOLEAN]: { family: 'boolean', text: BOOLEAN_TEXT, json: 'literal', duckdb: 'BOOLEAN' },
  [INTEGER]: {
    family: 'number',
    range: INTEGER_RANGE,
    promotion: { to: BIGINT, for: [BIGINT], onlyBeyondRange: true },
    text: INTEGER_TEXT,
    json: 'literal',
    duckdb: 'INTEGER',
  },
  [BIGINT]: { family: 'number', range: BIGINT_RANGE, text: INTEGER_TEXT, json: 'literal', duckdb: 'BIGINT' },
  // real keeps fewer digits than the double any JSON number is: every number widens it.
  [REAL]: {
    family: 'number',
    magnitude: REAL_MAX,
    promotion: { to: DOUBLE, for: INFERRED_NUMBERS },
    text: NUMBER_TEXT,
    json: 'literal',
    duckdb: 'REAL',
    duckdbAlso: ['FLOAT'],
  },
  [DOUBLE]: { family: 'number', text: NUMBER_TEXT, json: 'literal', duckdb: 'DOUBLE' },
  [VARCHAR]: { family: 'text', text: null, json: 'string', duckdb: 'VARCHAR' },
  // JSON has no dates: they travel as strings and the SQL casts them.
  [DATE]: { family: 'date', text: DATE_TEXT, json: 'string', duckdb: 'DATE' },
  [TIMESTAMP_TZ]: { family: 'timestamp', text: TIMESTAMP_TEXT, json: 'string', duckdb: 'TIMESTAMPTZ', duckdbAlso: ['TIMESTAMP WITH TIME ZONE'] },
};

/**
 * decimal(p,s), one row for the whole family. Its promotion is a rule, not a target: a wider precision at the
 * same scale, up to MAX_DECIMAL_PRECISION (column-types.ts, widenFor). An existing bigint column never becomes a
 * decimal: Iceberg does not allow it (the value is rescued instead).
 */
export const DECIMAL_TRAITS: TypeTraits = { family: 'number', text: NUMBER_TEXT, json: 'literal', duckdb: 'DECIMAL' };

const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/;

export function parseDecimal(type: string): { precision: number; scale: number } | null {
  const match = DECIMAL.exec(type);
  return match === null ? null : { precision: Number(match[1]), scale: Number(match[2]) };
}

export function decimalType(precision: number, scale: number): DecimalType {
  return `decimal(${precision},${scale})`;
}

function isNamedType(type: string): type is NamedType {
  return Object.hasOwn(TYPE_TABLE, type);
}

/**
 * The one way in for a type name read from outside (the catalog's data_type, a warehouse's describe): a port type
 * or decimal(p,s) as itself, anything else as a ForeignType. The text is kept as it is.
 */
export function columnType(text: string): ColumnType {
  return isNamedType(text) || parseDecimal(text) !== null ? (text as NamedType | DecimalType) : (text as ForeignType);
}

/** The traits of a type; null for a foreign one. */
export function traitsOf(type: ColumnType): TypeTraits | null {
  if (isNamedType(type)) return TYPE_TABLE[type];
  return parseDecimal(type) === null ? null : DECIMAL_TRAITS;
}

/** Whether Boitatá creates columns of this type and writes its values; an adopted table's other columns are left as they are. */
export function isWritable(type: ColumnType): boolean {
  if (isNamedType(type)) return true;
  const decimal = parseDecimal(type);
  return decimal !== null && decimal.precision >= 1 && decimal.precision <= MAX_DECIMAL_PRECISION && decimal.scale <= decimal.precision;
}

/**
 * Whether a field of type `incoming` may stand for a column (a typo, dictionary or model alias): a text column
 * takes anything; any other column, values of its own family (a number column, any number).
 */
export function fitsAliasTarget(incoming: InferredType, column: ColumnType): boolean {
  const family = traitsOf(column)?.family;
  return family === 'text' || (family !== undefined && family === traitsOf(incoming)?.family);
}

/** Whether a column of this type could ever be widened (integer, real, decimal). */
export function canWiden(column: ColumnType): boolean {
  return (isNamedType(column) && TYPE_TABLE[column].promotion !== undefined) || parseDecimal(column) !== null;
}

/** Whether Iceberg allows changing `from` into `to` in place. */
export function isLegalWidening(from: ColumnType, to: ColumnType): boolean {
  if (isNamedType(from)) return TYPE_TABLE[from].promotion?.to === to;
  const a = parseDecimal(from);
  const b = parseDecimal(to);
  return a !== null && b !== null && a.scale === b.scale && b.precision > a.precision;
}
