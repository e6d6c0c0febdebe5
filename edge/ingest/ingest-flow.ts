// The flow every ingestion endpoint shares: authenticate, read the body, pass the gate, enqueue durably, answer.
import type { Context } from 'hono';
import { isWellFormedCredential, type CredentialKind } from '../../shared/credential-format.ts';
import { BoitataError } from '../../shared/errors.ts';
import type { PayloadFormat } from '../../shared/push-format.ts';
import type { Endpoint, Receipt } from '../../shared/queue-message.ts';
import { credentialDigest, sha256Hex } from '../auth/secrets.ts';
import {
  completeMessage, UNAUTHORIZED_MESSAGE,
  type AdmitRequest, type EnqueueOutcome, type GateDirectory, type IngestDecision, type MessageDraft,
} from '../gate/gate-protocol.ts';
import { rateLimitHeaders, type RateLimitState } from '../gate/token-bucket.ts';
import { assertJsonContentType, decodeJsonBody, readBodyBytes, type JsonBody } from '../http/read-json-body.ts';
import { MAX_BODY_BYTES } from '../../shared/json-safety.ts';

export interface IngestDeps {
  gates: GateDirectory;
}

/** What an endpoint makes of a valid body: the message to store and how to answer. */
export interface PreparedMessage {
  payloadFormat: PayloadFormat;
  targetTable: string | null;
  itemKey: string | null;
  /** The JSON text stored in the queue (usually the body exactly as sent). */
  payloadText: string;
  rowCount: number;
  receipt(messageId: string): Receipt;
}

export interface IngestSpec {
  endpoint: Endpoint;
  kind: CredentialKind;
  secret: string | undefined;
  tenantClaim?: string | null | undefined;
  /** The request's meaning besides its body (route, table hint, item key): part of the Idempotency-Key fingerprint. */
  identity: string;
  /** Claims checked by the gate before anything is stored (the events API's source_id), and an implicit idempotency key. */
  claims?(body: JsonBody): { sourceClaim?: string; implicitIdempotencyKey?: string };
  /**
   * Validates the body against the endpoint's contract; throws a 400 BoitataError naming each problem.
   * `defaultTable` is the connection's default table, known only once the gate has admitted the request.
   */
  prepare(body: JsonBody, defaultTable: string | undefined): PreparedMessage;
  /** True when a body refused without the default table might be accepted with it (the push endpoint). */
  usesDefaultTable?: boolean;
  /**
   * The push endpoint: when the gate says the connection verifies provider signatures, the request is received
   * as a signed delivery instead, with the body bytes already read (undefined when they could not be).
   */
  asDelivery?(bytes: Uint8Array | undefined): Promise<Response>;
}

// Printable ASCII without a comma: the Workers runtime joins a repeated header with ", ", so a comma would make
// `Idempotency-Key: K` sent twice arrive as the new key "K, K".
const IDEMPOTENCY_KEY = /^[\x21-\x2B\x2D-\x7E][\x20-\x2B\x2D-\x7E]{0,254}$/;

export async function ingest(c: Context, deps: IngestDeps, spec: IngestSpec): Promise<Response> {
  const secret = spec.secret;
  if (secret === undefined || !isWellFormedCredential(spec.kind, secret) || spec.tenantClaim === '' || spec.tenantClaim === null) {
    throw new BoitataError('unauthorized', UNAUTHORIZED_MESSAGE);
  }
  const hashHex = await credentialDigest(secret);

  // Body problems are reported after authentication, so an unauthenticated caller learns nothing from them.
  let rawBytes: Uint8Array | undefined;
  let body: JsonBody | undefined;
  let bodyError: BoitataError | undefined;
  let claims: ReturnType<NonNullable<IngestSpec['claims']>> = {};
  let headerKey: string | undefined;
  let prepared: PreparedMessage | undefined;
  try {
    headerKey = readIdempotencyKey(c.req.header('idempotency-key'));
    assertJsonContentType(c.req.header('content-type'));
    rawBytes = await readBodyBytes(c.req.raw, { limit: MAX_BODY_BYTES });
    body = decodeJsonBody(rawBytes);
    claims = spec.claims?.(body) ?? {};
    prepared = spec.prepare(body, undefined);
  } catch (error) {
    if (!(error instanceof BoitataError)) throw error;
    // A push body that names no table may still be fine with the connection's default table: decide after admission.
    if (!(body !== undefined && prepared === undefined && spec.usesDefaultTable === true)) bodyError = error;
  }
  const idempotencyKey = headerKey ?? claims.implicitIdempotencyKey;
  const idempotency =
    idempotencyKey !== undefined && body !== undefined && bodyError === undefined
      ? { key: idempotencyKey, requestHash: await fingerprint(spec.identity, body.bytes) }
      : undefined;

  const gate = deps.gates.gateFor(spec.kind, hashHex);
  const admitRequest: AdmitRequest = {
    kind: spec.kind,
    hashHex,
    clientIp: c.req.header('cf-connecting-ip') ?? null,
    ...(spec.tenantClaim === undefined ? {} : { tenantClaim: spec.tenantClaim }),
    ...(claims.sourceClaim === undefined ? {} : { sourceClaim: claims.sourceClaim }),
    ...(idempotency === undefined ? {} : { idempotency }),
  };
  const draftOf = (message: PreparedMessage): MessageDraft => {
    const messageId = crypto.randomUUID();
    return {
      messageId,
      endpoint: spec.endpoint,
      payloadFormat: message.payloadFormat,
      targetTable: message.targetTable,
      itemKey: message.itemKey,
      payload: message.payloadText,
      rowCount: message.rowCount,
      receipt: message.receipt(messageId),
      idempotencyKey: idempotency?.key ?? null,
      requestSha256Hex: idempotency?.requestHash ?? null,
      provenance: null,
      deadOnArrival: null,
    };
  };

  // The common path: one call to the gate admits, enqueues and records the answer.
  if (prepared !== undefined) {
    const decision = await gate.admitAndEnqueue(admitRequest, draftOf(prepared));
    if (decision.kind === 'reject' && decision.signatureRequired && spec.asDelivery) return spec.asDelivery(rawBytes);
    return settle(decision, headersFor(decision.rateLimit));
  }

  // A refused body, or one waiting for the default table: admission first, so a bad credential is still a 401.
  const decision = await gate.admit(admitRequest);
  if (decision.kind === 'reject' && decision.signatureRequired && spec.asDelivery) {
    // The body was read in part and refused (too large, not gzip): that is the answer, signed or not.
    if (rawBytes === undefined && c.req.raw.bodyUsed && bodyError !== undefined) throw bodyError;
    return spec.asDelivery(rawBytes);
  }
  const headers = headersFor(decision.rateLimit);
  if (decision.kind !== 'proceed') return settle(decision, headers);
  if (bodyError !== undefined || body === undefined) throw withHeaders(bodyError!, headers);
  try {
    prepared = spec.prepare(body, decision.principal.defaultTable ?? undefined);
  } catch (error) {
    if (idempotency !== undefined) await gate.release(idempotency.key).catch(() => undefined);
    throw error instanceof BoitataError ? withHeaders(error, headers) : error;
  }
  return settle(await gate.enqueue(completeMessage(draftOf(prepared), decision.principal)), headers);
}

/** The response for a gate's final word: thrown for a rejection, a 202 for a stored or replayed message. */
export function settle(decision: IngestDecision | EnqueueOutcome, headers: Record<string, string>): Response {
  switch (decision.kind) {
    case 'reject':
      throw rejection(decision, headers);
    case 'replay':
      return answer(decision.response.body, true, headers);
    case 'stored':
      return answer(decision.body, decision.replayed, headers);
  }
}

export function headersFor(rateLimit: RateLimitState | undefined): Record<string, string> {
  return rateLimit === undefined ? {} : rateLimitHeaders(rateLimit);
}

export function rejection(
  decision: { code: BoitataError['code']; message: string; retryAfterSeconds?: number },
  headers: Record<string, string>,
): BoitataError {
  if (decision.retryAfterSeconds !== undefined) headers['Retry-After'] = String(decision.retryAfterSeconds);
  return new BoitataError(decision.code, decision.message, { headers });
}

/** A 202 with the receipt; `replayed` marks an answer repeated for a retried Idempotency-Key. */
export function answer(body: string, replayed: boolean, headers: Record<string, string>): Response {
  const responseHeaders: Record<string, string> = { ...headers, 'content-type': 'application/json' };
  if (replayed) responseHeaders['Idempotent-Replayed'] = 'true';
  return new Response(body, { status: 202, headers: responseHeaders });
}

export function readIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (header.includes(',')) {
    throw new BoitataError('invalid_payload', 'Send one Idempotency-Key header, without commas: a repeated header arrives joined with ", ".', {
      problems: [{ path: 'headers.Idempotency-Key', message: 'a repeated Idempotency-Key header or a comma is not allowed' }],
    });
  }
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new BoitataError('invalid_payload', 'The Idempotency-Key header must be 1-255 printable ASCII characters other than a comma.', {
      problems: [{ path: 'headers.Idempotency-Key', message: 'expected 1-255 printable ASCII characters, no comma' }],
    });
  }
  return header;
}

/** SHA-256 over the request's identity and body bytes: what an Idempotency-Key is bound to. */
export async function fingerprint(identity: string, bytes: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`${identity}\n`);
  const all = new Uint8Array(head.byteLength + bytes.byteLength);
  all.set(head, 0);
  all.set(bytes, head.byteLength);
  return sha256Hex(all);
}

export function withHeaders(error: BoitataError, headers: Record<string, string>): BoitataError {
  return new BoitataError(error.code, error.message, {
    problems: error.problems,
    headers: { ...headers, ...error.headers },
    cause: error,
  });
}
