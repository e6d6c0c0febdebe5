// A stored payload as an operator may read it (`boitata messages show`, the status page's payload view): every
// personal value replaced by the hash the processor writes for it. Pure: the hash function is passed in.
//
// A value is hashed when its field fills a PII column of the table, or would when the message lands (its own
// column, an alias, the typo rule or the dictionary: pii-fields.ts), when its name alone says PII, or when the value
// looks like an e-mail, a phone number or a card number (pii-detect.ts). The last three also cover fields no row has
// landed yet, so a message that never landed (dead, still queued) is masked as well. Errs towards hashing: a hash
// too many costs a lookup, a value too many leaks.
import { createHash } from 'node:crypto';
import { isJsonObject, type PayloadFormat } from '../../shared/push-format.ts';
import { flattenRow } from '../normalize/flatten-row.ts';
import { detectPii } from './pii-detect.ts';
import { piiFieldsOf, type RegisteredTable } from './pii-fields.ts';

/** Per table (lowercased), its registered columns and aliases. */
export type RegisteredTables = ReadonlyMap<string, RegisteredTable>;

/**
 * A body the edge could not store as JSON (edge/ingest/prepare-delivery.ts storedAsBase64), kept as
 * `{"unreadable_body_base64": "…"}`: never shown, not even masked — no field name says where its personal data is.
 */
export interface OpaqueBody {
  /** the body's size in bytes, decoded */
  bytes: number;
  /** SHA-256 of the body's bytes, hex: compare it with the provider's copy of the delivery */
  sha256: string;
  note: string;
}

export interface MaskedPayload {
  payload: unknown;
  /** the fields whose values were replaced, as `table.field` (`?` when the table is not known), sorted */
  hashed: string[];
  /** set when the payload is an opaque body: `payload` is then `{"opaque_body": …}` and shows none of it */
  opaque: OpaqueBody | null;
}

const OPAQUE_KEY = 'unreadable_body_base64';
const OPAQUE_NOTE =
  'Not shown: the edge stored this body as base64 because it was not JSON Postgres could store (not JSON, a NUL, or a number jsonb cannot hold); it may hold personal data no field name marks. It is never re-driven.';

interface Masking {
  /** per table, the fields that fill (or would fill) a PII column */
  pii: ReadonlyMap<string, ReadonlySet<string>>;
  hash: (value: unknown) => string;
  hashed: Set<string>;
}

/** Follows the format the edge recorded (as normalize-message.ts does); a payload that does not match it is masked field by field all the same. */
export function maskPiiPayload(
  message: { payload: unknown; payloadFormat: PayloadFormat; targetTable: string | null },
  tables: RegisteredTables,
  hash: (value: unknown) => string,
): MaskedPayload {
  const opaque = opaqueBody(message.payload);
  if (opaque !== null) return { payload: { opaque_body: opaque }, hashed: [], opaque };
  const pii = new Map<string, ReadonlySet<string>>();
  for (const [table, fields] of fieldsByTable(message)) {
    const registered = tables.get(table);
    if (registered !== undefined) pii.set(table, piiFieldsOf(registered, fields));
  }
  const masking: Masking = { pii, hash, hashed: new Set() };
  const { payload, payloadFormat, targetTable } = message;
  const rows = (value: unknown, table: string | null) =>
    Array.isArray(value) ? value.map((row) => maskValue(row, '', table, masking)) : maskValue(value, '', table, masking);
  let masked: unknown;
  if (payloadFormat === 'array') masked = rows(payload, lower(targetTable));
  else if (payloadFormat === 'envelope' && isJsonObject(payload)) {
    const table = envelopeTable(payload, targetTable);
    masked = Object.fromEntries(
      Object.entries(payload).map(([key, value]) => [
        key,
        key === 'rows' ? rows(value, table) : key === 'table' ? value : maskValue(value, key, null, masking),
      ]),
    );
  } else if (payloadFormat === 'multi_table' && isJsonObject(payload)) {
    masked = Object.fromEntries(Object.entries(payload).map(([table, value]) => [table, rows(value, table.toLowerCase())]));
  } else {
    masked = maskValue(payload, '', payloadFormat === 'object' ? lower(targetTable) : null, masking);
  }
  return { payload: masked, hashed: [...masking.hashed].sort(), opaque: null };
}

/** `{"unreadable_body_base64": "<text>"}` and nothing else: the edge's shape for a body it could not store. */
export function opaqueBody(payload: unknown): OpaqueBody | null {
  if (!isJsonObject(payload)) return null;
  const keys = Object.keys(payload);
  const encoded = payload[OPAQUE_KEY];
  if (keys.length !== 1 || typeof encoded !== 'string') return null;
  const body = Buffer.from(encoded, 'base64');
  return { bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex'), note: OPAQUE_NOTE };
}

const lower = (table: string | null) => table?.toLowerCase() ?? null;
const envelopeTable = (payload: Record<string, unknown>, targetTable: string | null) =>
  lower(targetTable ?? (typeof payload['table'] === 'string' ? payload['table'] : null));

/**
 * Each table's rows, flattened as the processor flattens them (flatten-row.ts): per table, every field's non-null
 * values across the message's rows — what the processor resolves a message's fields from.
 */
function fieldsByTable(message: { payload: unknown; payloadFormat: PayloadFormat; targetTable: string | null }): Map<string, Map<string, unknown[]>> {
  const { payload, payloadFormat, targetTable } = message;
  const byTable = new Map<string, Map<string, unknown[]>>();
  const add = (table: string | null, value: unknown) => {
    if (table === null) return;
    const fields = byTable.get(table) ?? new Map<string, unknown[]>();
    byTable.set(table, fields);
    for (const row of Array.isArray(value) ? value : [value]) {
      if (!isJsonObject(row)) continue;
      const flat = flattenRow(row);
      for (const [field, item] of [...flat.fields, ...flat.collisions.map((c) => [c.field, c.value] as const)]) {
        const values = fields.get(field) ?? [];
        fields.set(field, values);
        if (item !== null && item !== undefined) values.push(item);
      }
    }
  };
  if (payloadFormat === 'array') add(lower(targetTable), payload);
  else if (payloadFormat === 'envelope' && isJsonObject(payload)) add(envelopeTable(payload, targetTable), payload['rows']);
  else if (payloadFormat === 'multi_table' && isJsonObject(payload)) for (const [table, value] of Object.entries(payload)) add(table.toLowerCase(), value);
  else if (payloadFormat === 'object') add(lower(targetTable), payload);
  return byTable;
}

/** `name`: the flattened field name so far (`shipping.city`, as flatten-row.ts names it); '' at a row's top. */
function maskValue(value: unknown, name: string, table: string | null, masking: Masking): unknown {
  if (isJsonObject(value)) {
    const keys = Object.keys(value);
    // An empty object lands as the text '{}' (flatten-row.ts): a PII column gets its hash.
    if (keys.length === 0) return name !== '' && isPii(name, '{}', table, masking) ? hashed('{}', name, table, masking) : value;
    // fromEntries defines each key as its own property: a field named "__proto__" stays a field.
    return Object.fromEntries(keys.map((key) => [key, maskValue(value[key], name === '' ? key : `${name}.${key}`, table, masking)]));
  }
  if (value === null || value === undefined) return value;
  // An array lands whole, as one value (its JSON): a PII column holds the hash of all of it.
  if (isPii(name, value, table, masking)) return hashed(value, name, table, masking);
  // Inside an array kept as it is, an object's fields and a value that looks personal are still hashed one by one.
  if (Array.isArray(value)) return value.map((item) => maskValue(item, `${name}[]`, null, masking));
  return value;
}

function isPii(name: string, value: unknown, table: string | null, masking: Masking): boolean {
  if (table !== null && masking.pii.get(table)?.has(name) === true) return true;
  return detectPii(name, typeof value === 'string' ? [value] : []) !== null;
}

function hashed(value: unknown, name: string, table: string | null, masking: Masking): string {
  masking.hashed.add(`${table ?? '?'}.${name}`);
  return masking.hash(value);
}
