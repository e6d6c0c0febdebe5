// Flattens one JSON row into logical fields with dot notation (`location.city`); arrays stay whole. Pure.
import { isJsonObject, type JsonObject } from '../../shared/push-format.ts';

export interface FlatRow {
  /** logical field name → value (string, number, boolean, null, or an array kept whole) */
  fields: Map<string, unknown>;
  /** fields that collided after flattening (`{"a.b": 1, "a": {"b": 2}}`): kept, never dropped */
  collisions: Array<{ field: string; value: unknown }>;
}

/**
 * `{"location": {"city": "Recife"}}` → `location.city = "Recife"`. An empty object is kept as the
 * text `{}` so that nothing a sender wrote disappears. Arrays are not flattened (their length varies).
 */
export function flattenRow(row: JsonObject): FlatRow {
  const flat: FlatRow = { fields: new Map(), collisions: [] };
  walk(row, '', flat);
  return flat;
}

function walk(object: JsonObject, prefix: string, flat: FlatRow): void {
  for (const [key, value] of Object.entries(object)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (isJsonObject(value) && Object.keys(value).length > 0) {
      walk(value, name, flat);
    } else if (flat.fields.has(name)) {
      flat.collisions.push({ field: name, value: isJsonObject(value) ? '{}' : value });
    } else {
      flat.fields.set(name, isJsonObject(value) ? '{}' : value);
    }
  }
}
