// Removing a subject's values from what Boitatá keeps outside the warehouse: stored payloads (every scalar whose keyed
// hash is a match hash), opaque bodies kept as base64, and error text quoting a value. Each value is replaced by its
// erased marker, so a second erasure finds nothing and the loader skips a row that held it. Pure: hashing is passed in.
import { isJsonObject } from '../../shared/push-format.ts';
import { erasedMarker } from './erased-marker.ts';

/** What a scrub compares with: the processor's keyed hash of a value, the match hashes, and the values as sent. */
export interface SubjectMatcher {
  /** the PII hasher's hash of a value for the tenant (strings as they are, numbers as written) */
  hashOf(value: unknown): string;
  hashes: ReadonlySet<string>;
  /** the values as sent, for what cannot be hashed field by field (an opaque body, error text) */
  values: readonly string[];
}

export interface Scrubbed<T> {
  value: T;
  /** how many values were replaced */
  replaced: number;
}

const OPAQUE_KEY = 'unreadable_body_base64';

/** A value shorter than this is replaced only where it is a whole field value, never inside longer text (`1` or `ana`). */
export const MIN_SUBSTRING_LENGTH = 5;

/**
 * A stored payload with every scalar (at any depth) whose hash is a match hash replaced by its marker, and every
 * occurrence of a value as sent inside longer text — a string (`"Ana <ana@example.com>"`) or an object key — replaced
 * by the marker too, so no plaintext is left. An opaque body (`{"unreadable_body_base64": …}`, see
 * mask-pii-payload.ts) that contains a value anywhere in its bytes — as sent, JSON-escaped or URL/form-encoded — is
 * replaced whole: it has no fields to scrub one by one. It keeps its shape, so it stays opaque.
 */
export function scrubPayload(payload: unknown, matcher: SubjectMatcher): Scrubbed<unknown> {
  const opaque = opaqueText(payload);
  if (opaque !== null) {
    const found = matcher.values.find((value) => encodings(value).some((form) => opaque.includes(form)));
    if (found === undefined) return { value: payload, replaced: 0 };
    return { value: { [OPAQUE_KEY]: Buffer.from(erasedMarker(matcher.hashOf(found)), 'utf8').toString('base64') }, replaced: 1 };
  }
  const state = { replaced: 0 };
  const value = walk(payload, matcher, state, 0);
  return { value, replaced: state.replaced };
}

function opaqueText(payload: unknown): string | null {
  if (!isJsonObject(payload)) return null;
  const encoded = payload[OPAQUE_KEY];
  if (Object.keys(payload).length !== 1 || typeof encoded !== 'string') return null;
  return Buffer.from(encoded, 'base64').toString('utf8');
}

function walk(value: unknown, matcher: SubjectMatcher, state: { replaced: number }, depth: number): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return depth > 256 ? value : value.map((item) => walk(item, matcher, state, depth + 1));
  if (isJsonObject(value)) {
    if (depth > 256) return value;
    // fromEntries defines each key as its own property: a field named "__proto__" stays a field.
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [replaceInside(key, matcher, state), walk(inner, matcher, state, depth + 1)]));
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return value;
  const hash = matcher.hashOf(value);
  if (!matcher.hashes.has(hash)) return typeof value === 'string' ? replaceInside(value, matcher, state) : value;
  state.replaced += 1;
  return erasedMarker(hash);
}

/** `text` with each occurrence of a value as sent (of at least MIN_SUBSTRING_LENGTH characters) replaced by its marker. */
function replaceInside(text: string, matcher: SubjectMatcher, state: { replaced: number }): string {
  let out = text;
  for (const value of matcher.values) {
    if (value.length < MIN_SUBSTRING_LENGTH || !out.includes(value)) continue;
    const parts = out.split(value);
    state.replaced += parts.length - 1;
    out = parts.join(erasedMarker(matcher.hashOf(value)));
  }
  return out;
}

/** The forms a value takes in a raw body: as sent, JSON-escaped, URL-encoded (`%40`) and form-encoded (`+` for spaces). */
function encodings(value: string): string[] {
  const url = encodeURIComponent(value);
  return [...new Set([value, JSON.stringify(value).slice(1, -1), url, url.replaceAll('%20', '+')])];
}

/**
 * Error text (a dead letter's reason, a queue row's last error) with each quoted literal — '…' (SQL, '' inside),
 * "…" or `…` (backslash escapes) — whose content hashes to a match hash replaced by the marker, quotes kept; then any
 * remaining occurrence of a value as sent (an error may quote it unquoted), so no plaintext is left either way.
 */
export function scrubQuotedLiterals(text: string, matcher: SubjectMatcher): Scrubbed<string> {
  let replaced = 0;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const quote = text[i]!;
    if (quote !== "'" && quote !== '"' && quote !== '`') {
      out += quote;
      i += 1;
      continue;
    }
    const literal = readLiteral(text, i + 1, quote);
    if (literal === null) {
      out += quote;
      i += 1;
      continue;
    }
    const hash = matcher.hashOf(literal.content);
    if (matcher.hashes.has(hash)) {
      out += `${quote}${erasedMarker(hash)}${quote}`;
      replaced += 1;
    } else {
      out += text.slice(i, literal.end + 1);
    }
    i = literal.end + 1;
  }
  for (const value of matcher.values) {
    if (!out.includes(value)) continue;
    const parts = out.split(value);
    replaced += parts.length - 1;
    out = parts.join(erasedMarker(matcher.hashOf(value)));
  }
  return { value: out, replaced };
}

/** The literal opened before `from`: its unescaped content and the index of its closing quote; null when never closed. */
function readLiteral(text: string, from: number, quote: string): { content: string; end: number } | null {
  let content = '';
  for (let i = from; i < text.length; i += 1) {
    const char = text[i]!;
    if (char === '\\' && quote !== "'" && i + 1 < text.length) {
      content += text[i + 1];
      i += 1;
    } else if (char === quote) {
      if (quote === "'" && text[i + 1] === "'") {
        content += "'";
        i += 1;
      } else return { content, end: i };
    } else content += char;
  }
  return null;
}

/** How a value appears inside jsonb's text output (and JSON): the form a SQL prefilter looks for. */
export function jsonEscaped(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
