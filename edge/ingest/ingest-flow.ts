// The flow every ingestion endpoint shares: authenticate, read the body, pass the gate, enqueue durably, answer (after
// the landing, when the sender asked to wait).
import type { Context } from 'hono';
import { isWellFormedCredential, type CredentialKind } from '../../shared/credential-format.ts';
import { BoitataError } from '../../shared/errors.ts';
import type { PayloadFormat } from '../../shared/push-format.ts';
import type { Endpoint, Receipt } from '../../shared/queue-message.ts';
import { credentialDigest, sha256Hex } from '../auth/secrets.ts';
import { completeMessage, UNAUTHORIZED_MESSAGE, type AdmitRequest, type GateDirectory, type MessageDraft } from '../gate/gate-protocol.ts';
import { assertJsonContentType, decodeJsonBody, readBodyBytes, type JsonBody } from '../http/read-json-body.ts';
import { MAX_BODY_BYTES } from '../../shared/json-safety.ts';
import { headersFor } from './gate-answer.ts';
import { landingWaitOf, settleWaiting } from './landing-answer.ts';

export interface IngestDeps {
  gates: GateDirectory;
}

/** What an endpoint makes of a valid body: the message to store and how to answer. */
export interface PreparedMessage {
  kind: 'message';
  payloadFormat: PayloadFormat;
  targetTable: string | null;
  itemKey: string | null;
  /** The JSON text stored in the queue (usually the body exactly as sent). */
  payloadText: string;
  rowCount: number;
  receipt(messageId: string): Receipt;
}

/**
 * A body refused without a table that the connection's default table may yet make acceptable (the push endpoint).
 * That table is known only once the gate admits the request: `withDefaultTable` prepares the body again with it (or
 * with none, when the connection has none), and throws the refusal that stands.
 */
export interface NeedsDefaultTable {
  kind: 'needs_default_table';
  withDefaultTable(defaultTable: string | undefined): PreparedMessage;
}

type Claims = { sourceClaim?: string; implicitIdempotencyKey?: string };

export interface IngestSpec {
  endpoint: Endpoint;
  kind: CredentialKind;
  secret: string | undefined;
  tenantClaim?: string | null | undefined;
  /** The request's meaning besides its body (route, table hint, item key): part of the Idempotency-Key fingerprint. */
  identity: string;
  /** Claims checked by the gate before anything is stored (the events API's source_id), and an implicit idempotency key. */
  claims?(body: JsonBody): Claims;
  /**
   * Validates the body against the endpoint's contract and throws a 400 BoitataError naming each problem, or answers
   * that only the connection's default table can tell (the push endpoint).
   */
  prepare(body: JsonBody): PreparedMessage | NeedsDefaultTable;
  /**
   * The push endpoint: when the gate says the connection verifies provider signatures, the request is received
   * as a signed delivery instead, with the body bytes already read (undefined when they could not be).
   */
  asDelivery?(bytes: Uint8Array | undefined): Promise<Response>;
}

/** What the Worker knows of a request before asking its gate. */
interface ReadRequest {
  /** The body's bytes, when they could be read: a signed delivery is verified over them. */
  bytes: Uint8Array | undefined;
  claims: Claims;
  /** Absent without a key, or when the body was refused: a refused request begins no Idempotency-Key. */
  idempotency: { key: string; requestHash: string } | undefined;
  body: PreparedMessage | NeedsDefaultTable | { kind: 'refused'; error: BoitataError };
}

// Printable ASCII without a comma: the Workers runtime joins a repeated header with ", ", so a comma would make
// `Idempotency-Key: K` sent twice arrive as the new key "K, K".
const IDEMPOTENCY_KEY = /^[\x21-\x2B\x2D-\x7E][\x20-\x2B\x2D-\x7E]{0,254}$/;

export async function ingest(c: Context, deps: IngestDeps, spec: IngestSpec): Promise<Response> {
  const secret = spec.secret;
  if (secret === undefined || !isWellFormedCredential(spec.kind, secret) || spec.tenantClaim === '' || spec.tenantClaim === null) {
    throw new BoitataError('unauthorized', UNAUTHORIZED_MESSAGE);
  }
  const wait = landingWaitOf(c.req.header('prefer'));
  const hashHex = await credentialDigest(secret);
  // Body problems are reported after authentication, so an unauthenticated caller learns nothing from them.
  const request = await readRequest(c, spec);
  const gate = deps.gates.gateFor(spec.kind, hashHex);
  const admitRequest = admitRequestFor(c, spec, hashHex, request);

  // The common path: one call to the gate admits, enqueues and records the answer.
  if (request.body.kind === 'message') {
    const decision = await gate.admitAndEnqueue(admitRequest, draftOf(spec.endpoint, request.body, request.idempotency));
    if (decision.kind === 'reject' && decision.signatureRequired && spec.asDelivery) return spec.asDelivery(request.bytes);
    return settleWaiting(gate, decision, headersFor(decision.rateLimit), wait);
  }

  // A refused body, or one waiting for the default table: admission first, so a bad credential is still a 401.
  const decision = await gate.admit(admitRequest);
  if (decision.kind === 'reject' && decision.signatureRequired && spec.asDelivery) {
    // The body was read in part and refused (too large, not gzip): that is the answer, signed or not.
    if (request.body.kind === 'refused' && request.bytes === undefined && c.req.raw.bodyUsed) throw request.body.error;
    return spec.asDelivery(request.bytes);
  }
  const headers = headersFor(decision.rateLimit);
  if (decision.kind !== 'proceed') return settleWaiting(gate, decision, headers, wait);
  if (request.body.kind === 'refused') throw withHeaders(request.body.error, headers);

  const defaultTable = decision.principal.defaultTable ?? undefined;
  const prepared = await inDefaultTable(request.body, defaultTable, headers, async () => {
    if (request.idempotency !== undefined) await gate.release(request.idempotency.key).catch(() => undefined);
  });
  const draft = draftOf(spec.endpoint, prepared, request.idempotency);
  return settleWaiting(gate, await gate.enqueue(completeMessage(draft, decision.principal)), headers, wait);
}

/**
 * Reads the Idempotency-Key, the body and its claims, and asks the endpoint to prepare it. A BoitataError on the way
 * refuses the body; it is answered only once the gate has admitted the request.
 */
async function readRequest(c: Context, spec: IngestSpec): Promise<ReadRequest> {
  let bytes: Uint8Array | undefined;
  let claims: Claims = {};
  try {
    const headerKey = readIdempotencyKey(c.req.header('idempotency-key'));
    assertJsonContentType(c.req.header('content-type'));
    bytes = await readBodyBytes(c.req.raw, { limit: MAX_BODY_BYTES });
    const body = decodeJsonBody(bytes);
    claims = spec.claims?.(body) ?? {};
    const prepared = spec.prepare(body);
    const key = headerKey ?? claims.implicitIdempotencyKey;
    const idempotency = key === undefined ? undefined : { key, requestHash: await fingerprint(spec.identity, body.bytes) };
    return { bytes, claims, idempotency, body: prepared };
  } catch (error) {
    if (!(error instanceof BoitataError)) throw error;
    return { bytes, claims, idempotency: undefined, body: { kind: 'refused', error } };
  }
}

function admitRequestFor(c: Context, spec: IngestSpec, hashHex: string, request: ReadRequest): AdmitRequest {
  return {
    kind: spec.kind,
    hashHex,
    clientIp: c.req.header('cf-connecting-ip') ?? null,
    ...(spec.tenantClaim === undefined ? {} : { tenantClaim: spec.tenantClaim }),
    ...(request.claims.sourceClaim === undefined ? {} : { sourceClaim: request.claims.sourceClaim }),
    ...(request.idempotency === undefined ? {} : { idempotency: request.idempotency }),
  };
}

/** The body prepared with the connection's default table; a refusal forgets the Idempotency-Key admission began. */
async function inDefaultTable(
  pending: NeedsDefaultTable,
  defaultTable: string | undefined,
  headers: Record<string, string>,
  release: () => Promise<void>,
): Promise<PreparedMessage> {
  try {
    return pending.withDefaultTable(defaultTable);
  } catch (error) {
    await release();
    throw error instanceof BoitataError ? withHeaders(error, headers) : error;
  }
}

function draftOf(endpoint: Endpoint, message: PreparedMessage, idempotency: ReadRequest['idempotency']): MessageDraft {
  const messageId = crypto.randomUUID();
  return {
    messageId,
    endpoint,
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
