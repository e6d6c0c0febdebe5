// The answers every operation shares: error responses grouped by HTTP status from the codes of shared/errors.ts, and
// the response headers (rate limit, Retry-After, idempotent replay, Preference-Applied).
import { errorCodesWithStatus } from '../../shared/contracts/error-body.ts';
import { systemErrorStatus, userErrorStatus, type ErrorCode } from '../../shared/errors.ts';
import { componentRef, type JsonSchema } from './json-schemas.ts';

type Header = { description: string; schema: JsonSchema; required?: boolean };
type HeaderRef = { $ref: string };
export type ResponseObject = {
  description: string;
  headers?: Record<string, HeaderRef>;
  content?: Record<string, { schema: JsonSchema; examples?: unknown }>;
};

/** When each code is answered: a code added to errors.ts does not compile until it is explained here. */
const errorCodeMeaning: Record<ErrorCode, string> = {
  invalid_json: 'the body is not JSON, not UTF-8, or not the gzip it claims to be',
  invalid_payload: "the body breaks the endpoint's contract or a storage rule (each problem by path), or a header is malformed",
  ambiguous_payload: 'the push format or its table cannot be told (see the format rules)',
  empty_payload: 'an empty body, `{}`, `[]`, a table with no rows, a row with no fields',
  too_many_rows: 'more rows than one message may hold',
  too_many_tables: 'a multi-table push naming too many tables',
  too_many_fields: 'a row with too many fields once flattened',
  unauthorized: 'a missing, malformed, unknown, revoked or expired credential, or a tenant that is not its own: one answer for all',
  signature_missing: "a connection that verifies a provider's signatures got a request without them",
  signature_invalid: "no signature matches the body with the connection's secret(s)",
  timestamp_out_of_tolerance: 'a signed timestamp more than 5 minutes from now',
  ip_not_allowed: "the caller's address (CF-Connecting-IP) is outside the connection's allowed ranges",
  source_not_allowed: "the event's `source_id` is not the API key's source",
  not_found: "no such message for this credential (unknown, malformed, another tenant's or credential's, or pruned by queue retention)",
  method_not_allowed: 'another method than the endpoint takes (the answer has `Allow`)',
  idempotency_request_in_flight: 'the first request with this Idempotency-Key is still running',
  payload_too_large: "the body (decompressed) exceeds 1 MiB, or the connection's own larger limit",
  unsupported_media_type: 'a Content-Type that is not JSON in UTF-8, or a Content-Encoding other than gzip',
  idempotency_key_reused: 'the Idempotency-Key was used with another request',
  rate_limited: "the credential's rate limit is reached; retry after `Retry-After` seconds",
  internal_error: 'a bug or a misconfiguration, logged; retry with the same Idempotency-Key',
  database_unavailable: 'the queue could not be reached in time; retry after `Retry-After` seconds with the same Idempotency-Key (a 503 can still mean stored)',
};

const integer = (description: string): Header => ({ description, schema: { type: 'integer', minimum: 0 } });

/** The document's `components.headers`: the answers refer to them by name. */
export const headerComponents = {
  // The IETF RateLimit fields (edge/gate/token-bucket.ts), on every answer that passed the credential's gate.
  'RateLimit-Limit': integer("requests per minute the credential's bucket allows (on every answer its gate gave)"),
  'RateLimit-Remaining': integer('requests left in the bucket'),
  'RateLimit-Reset': integer('seconds until the bucket is full again'),
  'RateLimit-Policy': { description: '`<limit>;w=60`', schema: { type: 'string' } },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { const: 'true' },
  },
  'Preference-Applied': { description: '`wait=N` when the request sent `Prefer: wait=N`', schema: { type: 'string' } },
  'Retry-After': { ...integer('seconds to wait before retrying'), required: true },
  'Cache-Control': { description: '`no-store`: a status changes from one read to the next', schema: { type: 'string' } },
} satisfies Record<string, Header>;

const refs = (...names: Array<keyof typeof headerComponents>): Record<string, HeaderRef> =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

export const rateLimitHeaders = refs('RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy');
export const successHeaders = { ...rateLimitHeaders, ...refs('Idempotent-Replayed', 'Preference-Applied') };
export const statusHeaders = { ...rateLimitHeaders, ...refs('Cache-Control') };
const retryAfter = refs('Retry-After');

/** The error responses of an operation that can answer `codes`, one per HTTP status. */
export function errorResponses(codes: readonly ErrorCode[]): Record<string, ResponseObject> {
  const statuses: Record<string, number> = { ...userErrorStatus, ...systemErrorStatus };
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(statuses[code]!, [...(byStatus.get(statuses[code]!) ?? []), code]);
  const responses: Record<string, ResponseObject> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const listed = errorCodesWithStatus(status).filter((code) => byStatus.get(status)!.includes(code));
    const headers = { ...rateLimitHeaders, ...(status === 429 || status === 503 ? retryAfter : {}) };
    responses[String(status)] = {
      description: listed.map((code) => `\`${code}\`: ${errorCodeMeaning[code]}.`).join(' '),
      headers,
      content: { 'application/json': { schema: componentRef('ErrorBody') } },
    };
  }
  return responses;
}

/** What every body-reading ingest endpoint can answer besides its own codes. */
export const INGEST_ERROR_CODES: readonly ErrorCode[] = [
  'invalid_json',
  'invalid_payload',
  'empty_payload',
  'too_many_rows',
  'too_many_fields',
  'unauthorized',
  'idempotency_request_in_flight',
  'payload_too_large',
  'unsupported_media_type',
  'idempotency_key_reused',
  'rate_limited',
  'internal_error',
  'database_unavailable',
];
