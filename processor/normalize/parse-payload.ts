// Lossless JSON for queued payloads: integers beyond 2^53 become bigints, and bigints are written back exactly.
//
// The edge stores the body in jsonb, whose numbers are exact (numeric). JSON.parse would round
// 9007199254740993 to 9007199254740992 — and two item keys would merge into one row. So an integer
// literal outside the safe range is read from its source text as a bigint; every other number
// (a fraction, an exponent, a safe integer) stays a JS number, as before.

// Node 22 passes the literal's source text to the reviver (TC39 "JSON.parse source text access").
interface ReviverContext {
  source?: string;
}
type SourceReviver = (this: unknown, key: string, value: unknown, context?: ReviverContext) => unknown;
interface JsonWithSourceAccess {
  parse(text: string, reviver: SourceReviver): unknown;
  rawJSON(text: string): unknown;
}
const losslessJson = JSON as unknown as JsonWithSourceAccess;

const INTEGER_LITERAL = /^-?(?:0|[1-9][0-9]*)$/;

/** Parses JSON text; an integer literal outside ±(2^53 − 1) comes back as a `bigint`, exactly. */
export function parsePayload(text: string): unknown {
  return losslessJson.parse(text, (_key, value, context) => {
    if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
    const source = context?.source;
    if (source !== undefined && INTEGER_LITERAL.test(source)) return BigInt(source);
    return value;
  });
}

/** JSON.stringify that writes a `bigint` as its exact digits (JSON.stringify alone throws on one). */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, current: unknown) => (typeof current === 'bigint' ? losslessJson.rawJSON(current.toString()) : current));
}
