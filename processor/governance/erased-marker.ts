// What an erasure leaves in a stored payload where a subject's value was: a marker naming the value's keyed hash. A row
// holding a marker is the erased subject's: the loader never lands it (a message still pending at the erasure, or a
// message re-driven later, lands its other rows only). Pure.

export const ERASED_PREFIX = 'boitata:erased:';

/** The marker that replaces an erased value (its keyed hash, so a second erasure of the same value finds nothing new). */
export function erasedMarker(hash: string): string {
  return `${ERASED_PREFIX}${hash}`;
}

/** A text holding a marker: the erased value itself, or a longer text the value was inside. */
export function isErasedMarker(value: unknown): boolean {
  return typeof value === 'string' && value.includes(ERASED_PREFIX);
}

/**
 * Whether a flattened row holds an erased value: in a field's value (also inside an array or object kept as JSON, or
 * inside longer text) or in a field's name (a key that held it). Only asked of payloads an erasure rewrote.
 */
export function isErasedRow(fields: ReadonlyMap<string, unknown>): boolean {
  for (const [field, value] of fields) if (field.includes(ERASED_PREFIX) || holdsMarker(value, 0)) return true;
  return false;
}

function holdsMarker(value: unknown, depth: number): boolean {
  if (isErasedMarker(value)) return true;
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  for (const inner of Array.isArray(value) ? value : Object.values(value)) if (holdsMarker(inner, depth + 1)) return true;
  return false;
}
