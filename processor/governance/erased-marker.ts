// What an erasure leaves in a stored payload where a subject's value was: a marker naming the value's keyed hash. A row
// holding a marker is the erased subject's: the loader never lands it (a message still pending at the erasure, or a
// message re-driven later, lands its other rows only). Pure.

export const ERASED_PREFIX = 'boitata:erased:';

/** The marker that replaces an erased value (its keyed hash, so a second erasure of the same value finds nothing new). */
export function erasedMarker(hash: string): string {
  return `${ERASED_PREFIX}${hash}`;
}

export function isErasedMarker(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(ERASED_PREFIX);
}

/** Whether a flattened row holds an erased value (at top level of a field, or inside an array/object kept as JSON). */
export function isErasedRow(fields: ReadonlyMap<string, unknown>): boolean {
  for (const value of fields.values()) if (holdsMarker(value, 0)) return true;
  return false;
}

function holdsMarker(value: unknown, depth: number): boolean {
  if (isErasedMarker(value)) return true;
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  for (const inner of Array.isArray(value) ? value : Object.values(value)) if (holdsMarker(inner, depth + 1)) return true;
  return false;
}
