// One pass over JSON text for what JSON.parse hides: duplicate keys, and number exponents jsonb would expand. Pure.
import { formatPath, type Problem } from './errors.ts';
import { MAX_NUMBER_EXPONENT } from './ingest-limits.ts';

const MAX_REPORTED_PROBLEMS = 20;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const DOT = 0x2e;

/** One thing the scan found, located by its path. */
export interface ScanFinding extends Problem {
  kind: 'duplicate_key' | 'exponent_out_of_range';
}

/** An open object (its keys so far) or array (the index being read). */
interface Frame {
  keys: Set<string> | null;
  key: string;
  index: number;
}

/**
 * Finds every duplicate key in one object (I-JSON, RFC 7493: JSON.parse keeps the last one silently) and every
 * number literal whose exponent lies outside ±MAX_NUMBER_EXPONENT (JSON.parse reads `1e-400` as 0, but Postgres
 * keeps it exactly and writes it back as 402 characters). Each comes with its path, as `formatPath` renders it.
 *
 * `text` must be JSON that JSON.parse accepted: the scan trusts its grammar. It is iterative (no recursion, so any
 * depth) and linear in the text: string bodies are skipped with `indexOf`, and only keys are copied.
 */
export function scanJsonText(text: string, maxProblems = MAX_REPORTED_PROBLEMS): ScanFinding[] {
  const problems: ScanFinding[] = [];
  const frames: Frame[] = [];
  let expectingKey = false;
  const length = text.length;
  let i = 0;

  while (i < length && problems.length < maxProblems) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (expectingKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const frame = frames[frames.length - 1]!;
        frame.key = key;
        if (frame.keys!.has(key)) {
          problems.push({ kind: 'duplicate_key', path: pathOf(frames), message: `the key ${JSON.stringify(key)} appears more than once in this object` });
        } else {
          frame.keys!.add(key);
        }
        expectingKey = false;
      }
      i = end + 1;
    } else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
      i = scanNumber(text, i, frames, problems);
    } else if (c === OPEN_OBJECT) {
      frames.push({ keys: new Set(), key: '', index: 0 });
      expectingKey = true;
      i++;
    } else if (c === OPEN_ARRAY) {
      frames.push({ keys: null, key: '', index: 0 });
      i++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      frames.pop();
      expectingKey = false;
      i++;
    } else if (c === COMMA) {
      const frame = frames[frames.length - 1]!;
      if (frame.keys === null) frame.index++;
      else expectingKey = true;
      i++;
    } else {
      // whitespace, ':' and the letters of true/false/null
      i++;
    }
  }
  return problems;
}

/** The index of the quote that closes the string opened at `open`. */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  while (isEscaped(text, end)) end = text.indexOf('"', end + 1);
  return end;
}

/** True when an odd run of backslashes precedes `at`. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  for (let j = at - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
  return backslashes % 2 === 1;
}

/** Reads the number starting at `start`, records a problem when its exponent is out of range, returns where it ends. */
function scanNumber(text: string, start: number, frames: readonly Frame[], problems: ScanFinding[]): number {
  let i = start + 1;
  let exponentAt = -1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c >= DIGIT_0 && c <= DIGIT_9) i++;
    else if (c === LOWER_E || c === UPPER_E) exponentAt = i++;
    else if (c === MINUS || c === PLUS || c === DOT) i++;
    else break;
  }
  if (exponentAt >= 0 && !exponentInRange(text, exponentAt + 1, i)) {
    problems.push({
      kind: 'exponent_out_of_range',
      path: pathOf(frames),
      message: `the number ${abbreviate(text.slice(start, i))} has an exponent outside ±${MAX_NUMBER_EXPONENT}: write it without one, or round it`,
    });
  }
  return i;
}

function exponentInRange(text: string, from: number, to: number): boolean {
  let i = from;
  const sign = text.charCodeAt(i);
  if (sign === MINUS || sign === PLUS) i++;
  while (i < to - 1 && text.charCodeAt(i) === DIGIT_0) i++;
  // More than three significant digits is out of range whatever they are (and would overflow parseInt's precision).
  return to - i <= 3 && Number(text.slice(i, to)) <= MAX_NUMBER_EXPONENT;
}

function abbreviate(literal: string): string {
  return literal.length <= 40 ? literal : `${literal.slice(0, 20)}…${literal.slice(-12)}`;
}

function pathOf(frames: readonly Frame[]): string {
  return formatPath(frames.map((frame) => (frame.keys === null ? frame.index : frame.key)));
}
