// Cells as typed DuckDB values for the staging appender, and DuckDB result values as JSON-friendly JS. Pure.
import {
  decimalValue,
  dateValue,
  timestampTZValue,
  DuckDBArrayValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { Cell } from '../schema/column-types.ts';
import { metadataKeys, type MetadataKey } from '../schema/physical-name.ts';
import {
  BIGINT,
  BIGINT_RANGE,
  DATE,
  DATE_TEXT,
  INTEGER,
  INTEGER_RANGE,
  INTEGER_TEXT,
  isWritable,
  parseDecimal,
  TIMESTAMP_TEXT,
  TIMESTAMP_TZ,
  traitsOf,
  type ColumnType,
  type TypeTraits,
  type WholeRange,
} from '../schema/type-table.ts';
import { WarehouseError, type LoadRow } from './warehouse.ts';

/** The metadata cells of a row, in metadataColumnTypes(provenance) order. */
export function metadataValues(row: LoadRow, provenance = true): DuckDBValue[] {
  const values: Record<MetadataKey, DuckDBValue> = {
    messageId: row.messageId,
    rowId: checkedInteger(String(row.rowId), INTEGER, INTEGER_RANGE),
    receivedAt: timestampValue(row.receivedAt),
    tenantId: row.tenantId,
    endpoint: row.endpoint,
    sequence: checkedInteger(row.sequence, BIGINT, BIGINT_RANGE),
    rescue: row.rescue,
    credential: row.credential,
    sourceId: row.sourceId,
    provider: row.provenance?.provider ?? null,
    deliveryId: row.provenance?.deliveryId ?? null,
    eventType: row.provenance?.eventType ?? null,
    providerTimestamp: nullable(row.provenance?.providerTimestamp, timestampValue),
    shopDomain: row.provenance?.shopDomain ?? null,
    hookId: row.provenance?.hookId ?? null,
  };
  return metadataKeys(provenance).map((key) => values[key]);
}

/**
 * A cell as a value of its column's type. The text was produced by coerceValue and is checked again here against
 * the type table's pattern: text that does not fit the column is refused as bad data (permanent), never guessed at.
 */
export function cellValue(cell: Cell, type: ColumnType): DuckDBValue {
  if (cell === null) return null;
  const { text } = cell;
  const traits = isWritable(type) ? traitsOf(type) : null;
  if (traits === null) throw new WarehouseError('permanent', 'INVALID_VALUE', `no value of column type ${type} can be written`);
  if (traits.text !== null && !traits.text.test(text)) throw refused(text, type);
  switch (traits.family) {
    case 'text':
      return text;
    case 'boolean':
      return text === 'true';
    case 'date':
      return dateValue(epochDays(text));
    case 'timestamp':
      return timestampValue(text);
    case 'number':
      return numberValue(text, type, traits);
  }
}

function nullable(text: string | null | undefined, value: (text: string) => DuckDBValue): DuckDBValue {
  return text === null || text === undefined ? null : value(text);
}

/** Whole types by their range, floating ones by their magnitude, decimals exactly. */
function numberValue(text: string, type: ColumnType, traits: TypeTraits): DuckDBValue {
  if (traits.range !== undefined) return checkedInteger(text, type, traits.range);
  const decimal = parseDecimal(type);
  if (decimal !== null) return decimalCell(text, type, decimal);
  const value = Number(text);
  if (!Number.isFinite(value) || (traits.magnitude !== undefined && Math.abs(value) > traits.magnitude)) throw refused(text, type);
  return value;
}

function checkedInteger(text: string, type: ColumnType, range: WholeRange): number | bigint {
  if (!INTEGER_TEXT.test(text)) throw refused(text, type);
  const value = BigInt(text);
  if (value > range.max || value < range.min) throw refused(text, type);
  // The appender binds a JS number to an INTEGER column and a bigint to a BIGINT one.
  return range.max <= MAX_SAFE_INTEGER ? Number(value) : value;
}

const MAX_SAFE_INTEGER = BigInt(Number.MAX_SAFE_INTEGER);

/** `YYYY-MM-DD` → days since 1970-01-01 (setUTCFullYear: Date.UTC would read years below 100 as 19xx). */
function epochDays(text: string): number {
  const match = DATE_TEXT.exec(text);
  if (match === null) throw refused(text, DATE);
  const date = new Date(0);
  date.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (date.getUTCDate() !== Number(match[3])) throw refused(text, DATE);
  return Math.round(date.getTime() / 86_400_000);
}

/** Canonical timestamp text (`2026-06-12 10:00:00.123456 +05:30`) → the instant in microseconds since the epoch. */
function timestampValue(text: string): DuckDBTimestampTZValue {
  const match = TIMESTAMP_TEXT.exec(text);
  if (match === null) throw refused(text, TIMESTAMP_TZ);
  const [, year, month, day, hour, minute, second, micros, sign, offsetHours, offsetMinutes] = match as unknown as string[];
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), 0);
  const offset = BigInt((Number(offsetHours) * 60 + Number(offsetMinutes)) * 60) * 1_000_000n * (sign === '-' ? -1n : 1n);
  return timestampTZValue(BigInt(date.getTime()) * 1000n + BigInt(micros!) - offset);
}

function decimalCell(text: string, type: ColumnType, { precision, scale }: { precision: number; scale: number }): DuckDBValue {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  const fraction = match?.[3] ?? '';
  if (match === null || fraction.length > scale || match[2]!.replace(/^0+(?=\d)/, '').length > precision - scale) throw refused(text, type);
  const scaled = BigInt(`${match[1]}${match[2]}${fraction.padEnd(scale, '0')}`);
  return decimalValue(scaled, precision, scale);
}

function refused(text: string, type: ColumnType): WarehouseError {
  return new WarehouseError('permanent', 'INVALID_VALUE', `refusing to write ${JSON.stringify(text)} to a ${type} column`);
}

/**
 * A result value as JSON-friendly JS: bigints as numbers when exact (else decimal text), timestamps as ISO-8601
 * text with microseconds, dates as YYYY-MM-DD, decimals as exact text, lists and structs converted inside.
 */
export function jsonFriendly(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof DuckDBTimestampTZValue) return isoText(value.micros, 'Z') ?? value.toString();
  if (value instanceof DuckDBTimestampValue) return isoText(value.micros, '') ?? value.toString();
  if (value instanceof DuckDBDateValue || value instanceof DuckDBDecimalValue) return value.toString();
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(jsonFriendly);
  if (value instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, jsonFriendly(v)]));
  if (value instanceof DuckDBMapValue) return value.entries.map(({ key, value: v }) => ({ key: jsonFriendly(key), value: jsonFriendly(v) }));
  return String(value);
}

/** Microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffff` + suffix; null outside what a JS Date can show (and for ±infinity). */
function isoText(micros: bigint, suffix: string): string | null {
  const millis = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const date = new Date(Number(millis));
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 0 || date.getUTCFullYear() > 9999) return null;
  const fraction = (((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).toString().padStart(6, '0');
  return `${date.toISOString().slice(0, 19)}.${fraction}${suffix}`;
}
