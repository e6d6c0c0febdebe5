// The flow every ingestion endpoint shares: authenticate, read the body, pass the gate, enqueue durably, answer.
import type { Context } from 'hono';
import { isWellFormedCredential, type CredentialKind } from '../../shared/credential-format.ts';
import { BoitataError } from '../../shared/errors.ts';
import type { PayloadFormat } from '../../shared/push-format.ts';
import type { Endpoint, Receipt } from '../../shared/queue-message.ts';
import { sha256Hex } from '../auth/secrets.ts';
import { UNAUTHORIZED_MESSAGE, type Gate, type GateDirectory, type Principal } from '../gate/gate-protocol.ts';
import { rateLimitHeaders } from '../gate/token-bucket.ts';
import { readJsonBody, type JsonBody } from '../http/read-json-body.ts';
import type { QueueWriter } from '../queue/queue-writer.ts';

export interface IngestDeps {
  gates: GateDirectory;
  queue: QueueWriter;
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
  tenantClaim?: string | undefined;
  /** The request's meaning besides its body (route, table hint, item key): part of the Idempotency-Key fingerprint. */
  identity: string;
  /** Claims checked by the gate before anything is stored (the events API's source_id), and an implicit idempotency key. */
  claims?(body: JsonBody): { sourceClaim?: string; implicitIdempotencyKey?: string };
  /** Validates the body against the endpoint's contract; throws a 400 BoitataError naming each problem. */
  prepare(body: JsonBody, principal: Principal): PreparedMessage;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7E][\x20-\x7E]{0,254}$/;

export async function ingest(c: Context, deps: IngestDeps, spec: IngestSpec): Promise<Response> {
  const secret = spec.secret;
  if (secret === undefined || !isWellFormedCredential(spec.kind, secret) || spec.tenantClaim === '') {
    throw new BoitataError('unauthorized', UNAUTHORIZED_MESSAGE);
  }
  const hashHex = await sha256Hex(secret);

  // Body problems are reported after authentication, so an unauthenticated caller learns nothing from them.
  let body: JsonBody | undefined;
  let bodyError: BoitataError | undefined;
  let claims: ReturnType<NonNullable<IngestSpec['claims']>> = {};
  let headerKey: string | undefined;
  try {
    headerKey = readIdempotencyKey(c.req.header('idempotency-key'));
    body = await readJsonBody(c.req.raw);
    claims = spec.claims?.(body) ?? {};
  } catch (error) {
    if (!(error instanceof BoitataError)) throw error;
    bodyError = error;
  }
  const requestHash = body === undefined ? undefined : await fingerprint(spec.identity, body.bytes);
  const idempotencyKey = headerKey ?? claims.implicitIdempotencyKey;
  const idempotency =
    idempotencyKey !== undefined && requestHash !== undefined && bodyError === undefined
      ? { key: idempotencyKey, requestHash }
      : undefined;

  const gate = deps.gates.gateFor(spec.kind, hashHex);
  const decision = await gate.admit({
    kind: spec.kind,
    hashHex,
    clientIp: c.req.header('cf-connecting-ip') ?? null,
    ...(spec.tenantClaim === undefined ? {} : { tenantClaim: spec.tenantClaim }),
    ...(claims.sourceClaim === undefined ? {} : { sourceClaim: claims.sourceClaim }),
    ...(idempotency === undefined ? {} : { idempotency }),
  });
  const headers = decision.rateLimit === undefined ? {} : rateLimitHeaders(decision.rateLimit);

  switch (decision.kind) {
    case 'reject': {
      if (decision.retryAfterSeconds !== undefined) headers['Retry-After'] = String(decision.retryAfterSeconds);
      throw new BoitataError(decision.code, decision.message, { headers });
    }
    case 'replay':
      return replay(decision.response.status, decision.response.body, headers);
    case 'proceed':
      break;
  }
  if (bodyError !== undefined || body === undefined || requestHash === undefined) throw withHeaders(bodyError!, headers);

  try {
    const prepared = spec.prepare(body, decision.principal);
    return await enqueue(deps.queue, gate, spec, decision.principal, prepared, requestHash, idempotency, headers);
  } catch (error) {
    if (idempotency !== undefined) await gate.release(idempotency.key).catch(() => undefined);
    throw error instanceof BoitataError ? withHeaders(error, headers) : error;
  }
}

async function enqueue(
  queue: QueueWriter,
  gate: Gate,
  spec: IngestSpec,
  principal: Principal,
  prepared: PreparedMessage,
  requestHash: string,
  idempotency: { key: string; requestHash: string } | undefined,
  headers: Record<string, string>,
): Promise<Response> {
  const messageId = crypto.randomUUID();
  const receipt = prepared.receipt(messageId);
  const result = await queue.enqueue({
    messageId,
    tenantId: principal.tenantId,
    connectionId: principal.connectionId,
    apiKeyId: principal.apiKeyId,
    endpoint: spec.endpoint,
    payloadFormat: prepared.payloadFormat,
    targetTable: prepared.targetTable,
    itemKey: prepared.itemKey,
    payload: prepared.payloadText,
    rowCount: prepared.rowCount,
    receipt,
    idempotencyScope: principal.idempotencyScope,
    idempotencyKey: idempotency?.key ?? null,
    requestSha256: hexToBytes(requestHash),
  });

  const status = 202;
  let answer: Receipt = receipt;
  if (result.kind === 'duplicate') {
    // The queue already holds this key: the gate forgot it (evicted or expired), the database did not.
    if (result.requestSha256Hex !== requestHash) {
      throw new BoitataError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body; use a new key for new data.');
    }
    answer = result.receipt;
    headers['Idempotent-Replayed'] = 'true';
  }
  const text = JSON.stringify(answer);
  if (idempotency !== undefined) await gate.complete(idempotency.key, { status, body: text });
  return new Response(text, { status, headers: { ...headers, 'content-type': 'application/json' } });
}

function replay(status: number, body: string, headers: Record<string, string>): Response {
  return new Response(body, {
    status,
    headers: { ...headers, 'content-type': 'application/json', 'Idempotent-Replayed': 'true' },
  });
}

function readIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new BoitataError('invalid_payload', 'The Idempotency-Key header must be 1-255 printable ASCII characters.', {
      problems: [{ path: 'headers.Idempotency-Key', message: 'expected 1-255 printable ASCII characters' }],
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

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function withHeaders(error: BoitataError, headers: Record<string, string>): BoitataError {
  return new BoitataError(error.code, error.message, {
    problems: error.problems,
    headers: { ...headers, ...error.headers },
    cause: error,
  });
}
