// Limits every accepted JSON body must respect: the walk over the parsed value and the scan of its text, both without recursion.
import { BoitataError, formatPath, type Problem } from './errors.ts';
import { MAX_NUMBER_EXPONENT } from './ingest-limits.ts';
import { scanJsonText } from './json-scan.ts';

/** 1 MiB: a body of exactly this many bytes is accepted, one byte more is a 413. */
export const MAX_BODY_BYTES = 1_048_576;
/** Objects and arrays nested deeper than this are refused (the warehouse flattens every level). */
export const MAX_NESTING_DEPTH = 32;
export const MAX_KEY_LENGTH = 256;
const MAX_REPORTED_PROBLEMS = 20;

// Keys that would reach an object's prototype if any consumer copied them naively.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// A NUL character cannot be stored in Postgres jsonb; a lone surrogate is not valid Unicode text.
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws `invalid_payload` with the path of each problem when `value` cannot be stored safely. */
export function assertStorableJson(value: unknown): void {
  const problems: Problem[] = [];
  const stack: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: [] }];

  while (stack.length > 0 && problems.length < MAX_REPORTED_PROBLEMS) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (UNSTORABLE_TEXT.test(current)) {
        problems.push({ path: formatPath(path), message: 'string contains a NUL character or an unpaired UTF-16 surrogate' });
      }
      continue;
    }
    if (typeof current === 'number' && !Number.isFinite(current)) {
      problems.push({ path: formatPath(path), message: 'number is too large to store' });
      continue;
    }
    if (current === null || typeof current !== 'object') continue;

    if (path.length >= MAX_NESTING_DEPTH) {
      problems.push({ path: formatPath(path), message: `nested deeper than ${MAX_NESTING_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: [...path, i] });
      continue;
    }
    for (const [key, child] of Object.entries(current)) {
      const keyProblem = describeKeyProblem(key);
      if (keyProblem !== undefined) {
        problems.push({ path: formatPath([...path, key]), message: keyProblem });
        continue;
      }
      stack.push({ value: child, path: [...path, key] });
    }
  }

  if (problems.length > 0) {
    throw new BoitataError('invalid_payload', 'The JSON body contains values that cannot be stored.', { problems });
  }
}

function describeKeyProblem(key: string): string | undefined {
  if (FORBIDDEN_KEYS.has(key)) return `the field name "${key}" is reserved and not accepted`;
  if (key.length === 0) return 'empty field names are not accepted';
  if (key.length > MAX_KEY_LENGTH) return `field names are limited to ${MAX_KEY_LENGTH} characters`;
  if (UNSTORABLE_TEXT.test(key)) return 'field name contains a NUL character or an unpaired UTF-16 surrogate';
  return undefined;
}

/**
 * Throws `invalid_payload` for what only the text shows: a key repeated in one object (JSON.parse would keep the
 * last one silently) and a number whose exponent jsonb would write out in full. `text` must already parse.
 */
export function assertUnambiguousJsonText(text: string): void {
  const findings = scanJsonText(text, MAX_REPORTED_PROBLEMS);
  if (findings.length === 0) return;
  const sentences: string[] = [];
  if (findings.some((f) => f.kind === 'duplicate_key')) {
    sentences.push('A key appears more than once in one object (I-JSON, RFC 7493): send each key once.');
  }
  if (findings.some((f) => f.kind === 'exponent_out_of_range')) {
    sentences.push(`A number has an exponent outside ±${MAX_NUMBER_EXPONENT}: write it without the exponent, or round it.`);
  }
  const problems = findings.map(({ path, message }) => ({ path, message }));
  throw new BoitataError('invalid_payload', sentences.join(' '), { problems });
}
