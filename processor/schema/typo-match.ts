// The typo rule: which registered column a new field misspells, by a banded Levenshtein distance. Pure.
import type { InferredType } from './column-types.ts';
import { fitsAliasTarget } from './type-table.ts';
import type { RegisteredColumn } from './table-schema.ts';

const MAX_TYPO_DISTANCE = 2;

/**
 * The typo rule: Levenshtein distance <= 2 on the lowercased names, AND the shorter name has at least
 * 2 × distance + 1 characters (so `id`/`ip` and `lat`/`lon` never merge), AND the types are compatible, AND
 * exactly one column has the smallest distance (a tie is refused).
 */
export function typoCandidate(field: string, type: InferredType, columns: readonly RegisteredColumn[]): { column: string; distance: number } | null {
  let best: { column: string; distance: number } | null = null;
  let tie = false;
  const lower = field.toLowerCase();
  for (const column of columns) {
    // Distance 0 is a field that differs only in case (`Phone` for `phone`): the same column.
    const distance = boundedDistance(lower, column.logical.toLowerCase(), MAX_TYPO_DISTANCE);
    if (distance > MAX_TYPO_DISTANCE) continue;
    if (distance > 0 && Math.min(field.length, column.logical.length) < 2 * distance + 1) continue;
    if (!fitsAliasTarget(type, column.type)) continue;
    if (best === null || distance < best.distance) {
      best = { column: column.logical, distance };
      tie = false;
    } else if (distance === best.distance) {
      tie = true;
    }
  }
  return tie ? null : best;
}

// Two rows of the edit-distance table, reused: names are at most a few hundred characters.
let previousRow = new Int32Array(64);
let currentRow = new Int32Array(64);

/**
 * The Levenshtein distance of `a` and `b` when it is at most `max`, else `max + 1`. Only the diagonal band of
 * width 2 × max + 1 is computed, so a pair costs O(max × length) instead of O(length²).
 */
export function boundedDistance(a: string, b: string, max: number): number {
  const over = max + 1;
  if (Math.abs(a.length - b.length) > max) return over;
  if (previousRow.length <= b.length + 1) [previousRow, currentRow] = [new Int32Array(b.length + 2), new Int32Array(b.length + 2)];
  let previous = previousRow;
  let current = currentRow;
  for (let j = 0; j <= Math.min(b.length, max); j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const low = Math.max(1, i - max);
    const high = Math.min(b.length, i + max);
    if (i + max <= b.length) previous[i + max] = over; // outside the previous row's band: never computed
    current[low - 1] = low === 1 && i <= max ? i : over;
    let rowBest = current[low - 1]!;
    const code = a.charCodeAt(i - 1);
    for (let j = low; j <= high; j++) {
      const value = Math.min(over, previous[j - 1]! + (code === b.charCodeAt(j - 1) ? 0 : 1), previous[j]! + 1, current[j - 1]! + 1);
      current[j] = value;
      if (value < rowBest) rowBest = value;
    }
    if (rowBest > max) return over;
    [previous, current] = [current, previous];
  }
  return Math.min(over, previous[b.length]!);
}
