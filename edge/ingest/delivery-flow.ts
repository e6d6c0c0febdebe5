// A provider's delivery to the push URL: the token names the connection, the provider's signature over the body as
// received stands in for x-tenant-id, and the provider's delivery id is the idempotency key.
import type { Context } from 'hono';
import { isWellFormedCredential } from '../../shared/credential-format.ts';
import { BoitataError } from '../../shared/errors.ts';
import { MAX_BODY_BYTES } from '../../shared/json-safety.ts';
import { buildIngestReceipt, type IngestReceipt } from '../../shared/queue-message.ts';
import type { HeaderMap } from '../../shared/webhooks/presets.ts';
import { credentialDigest, sha256Hex } from '../auth/secrets.ts';
import {
  completeMessage,
  UNAUTHORIZED_MESSAGE,
  type AdmitDecision,
  type AdmitRequest,
  type Gate,
  type MessageDraft,
  type Principal,
} from '../gate/gate-protocol.ts';
import { readBodyBytes } from '../http/read-json-body.ts';
import { headersFor, rejection } from './gate-answer.ts';
import { fingerprint, readIdempotencyKey, withHeaders, type IngestDeps } from './ingest-flow.ts';
import { landingWaitOf, settleWaiting, type LandingWait } from './landing-answer.ts';
import { prepareDelivery, presetNamedBy, storedAsBase64, type PreparedDelivery } from './prepare-delivery.ts';

export interface DeliveryTarget {
  token: string;
  /**
   * ?table= / x-target-table, checked (to agree, to be a valid name) only once the gate has admitted the request:
   * an unauthenticated caller learns nothing from them.
   */
  explicitTable(): string | undefined;
  /** The body, when the push flow already read it before learning the connection verifies signatures. */
  bytes?: Uint8Array | undefined;
}

// Never handed to the gate: credentials of other schemes, and cookies.
const UNSIGNED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
// Printable ASCII without a comma, as for an Idempotency-Key header.
const USABLE_KEY = /^[\x21-\x2B\x2D-\x7E][\x20-\x2B\x2D-\x7E]{0,254}$/;

/** A delivery as read before admission: what every step below prepares, verifies and stores. */
interface Delivery {
  gate: Gate;
  /** The admission request without the signed material. */
  base: AdmitRequest;
  /** The bytes the provider signed. */
  bytes: Uint8Array;
  headers: HeaderMap;
  idempotencyHeader: string | undefined;
  messageId: string;
  /** `Prefer: wait=N`: the answer waits for the landing. */
  wait: LandingWait | undefined;
}

type Admitted = Extract<AdmitDecision, { kind: 'proceed' }>;

export async function receiveDelivery(c: Context, deps: IngestDeps, target: DeliveryTarget): Promise<Response> {
  const tenantHeader = c.req.header('x-tenant-id');
  if (!isWellFormedCredential('ingest', target.token) || tenantHeader === '') {
    throw new BoitataError('unauthorized', UNAUTHORIZED_MESSAGE);
  }
  const wait = landingWaitOf(c.req.header('prefer'));
  const hashHex = await credentialDigest(target.token);
  const gate = deps.gates.gateFor('ingest', hashHex);
  const base: AdmitRequest = { kind: 'ingest', hashHex, clientIp: c.req.header('cf-connecting-ip') ?? null, tenantClaim: tenantHeader ?? null };
  const delivery: Delivery = {
    gate,
    base,
    bytes: target.bytes ?? (await readSignedBytes(c.req.raw, gate, base)),
    headers: headerMap(c.req.raw.headers),
    idempotencyHeader: c.req.header('idempotency-key'),
    messageId: crypto.randomUUID(),
    wait,
  };

  const early = await inOneRoundTrip(delivery, target);
  if (early instanceof Response) return early;
  const decision = early ?? (await gate.admit({ ...base, signature: { headers: delivery.headers, body: delivery.bytes } }));
  const rateHeaders = headersFor(decision.rateLimit);
  if (decision.kind !== 'proceed') return settleWaiting(gate, decision, rateHeaders, wait);
  return storeAdmitted(delivery, target, decision.principal, rateHeaders);
}

/**
 * The bytes the provider signed. Past 1 MiB the gate is asked for the connection's own limit (and refuses a request
 * it would not admit, before its body is read).
 */
async function readSignedBytes(request: Request, gate: Gate, base: AdmitRequest): Promise<Uint8Array> {
  try {
    return await readBodyBytes(request, {
      limit: MAX_BODY_BYTES,
      raise: async () => {
        const answer = await gate.bodyLimit(base);
        if (answer.kind === 'reject') throw rejection(answer, {});
        return answer.bytes;
      },
    });
  } catch (error) {
    if (!(error instanceof BoitataError)) throw error;
    // Body problems are told only to a caller the gate would admit.
    const admitted = await gate.bodyLimit(base);
    throw admitted.kind === 'reject' ? rejection(admitted, {}) : error;
  }
}

/**
 * The common case in one round trip to the gate: prepared for the preset the signature header names, before
 * admission; the gate checks that it is the connection's and puts the default table where the event type chose.
 * Gives the answer, or the admission when the guess was wrong, or undefined when there was nothing to guess from
 * (then admit() is asked, and the delivery prepared for what it says).
 */
async function inOneRoundTrip(delivery: Delivery, target: DeliveryTarget): Promise<Response | Admitted | undefined> {
  const guess = presetNamedBy(delivery.headers);
  const early = guess === null ? undefined : explicitTableIfValid(target);
  if (guess === null || early === undefined) return undefined;
  const { bytes, headers } = delivery;
  const speculative = prepareDelivery({ preset: guess, headers, body: bytes, explicitTable: early.table, defaultTable: undefined });
  if (speculative.kind !== 'message') return undefined;
  const draft = await draftFor(delivery, speculative, early.table).catch(() => undefined);
  if (draft === undefined) return undefined;
  const signature = { headers, ...(speculative.payloadIsBody ? {} : { body: bytes }) };
  const decision = await delivery.gate.admitDelivery({ ...delivery.base, signature }, draft, { preset: guess, tableFromEvent: early.table === undefined });
  if (decision.kind === 'proceed') return decision;
  // Postgres refused a value: storeAdmitted keeps the delivery as a dead letter, after admit() is asked again.
  if (decision.kind === 'reject' && decision.code === 'invalid_payload') return undefined;
  return settleWaiting(delivery.gate, decision, headersFor(decision.rateLimit), delivery.wait);
}

/** An admitted delivery prepared for the connection's preset and tables, and stored (as a dead letter if it must). */
async function storeAdmitted(delivery: Delivery, target: DeliveryTarget, principal: Principal, rateHeaders: Record<string, string>): Promise<Response> {
  if (principal.verifyPreset === null) throw new BoitataError('unauthorized', UNAUTHORIZED_MESSAGE); // never admitted
  const explicitTable = await refusedWith(rateHeaders, async () => target.explicitTable());
  const prepared = prepareDelivery({
    preset: principal.verifyPreset,
    headers: delivery.headers,
    body: delivery.bytes,
    explicitTable,
    defaultTable: principal.defaultTable ?? undefined,
  });
  if (prepared.kind === 'challenge') {
    return new Response(JSON.stringify({ challenge: prepared.challenge }), { status: 200, headers: { ...rateHeaders, 'content-type': 'application/json' } });
  }
  const draft = await refusedWith(rateHeaders, () => draftFor(delivery, prepared, explicitTable));
  const outcome = await delivery.gate.enqueue(completeMessage(draft, principal));
  if (outcome.kind === 'reject' && outcome.code === 'invalid_payload') {
    // Postgres refused a value (a number jsonb cannot hold): the verified delivery is kept as a dead letter anyway.
    const kept = storedAsBase64(delivery.bytes, prepared.provenance, prepared.targetTable, 'invalid_payload', outcome.message);
    const keptOutcome = await delivery.gate.enqueue(completeMessage(await draftFor(delivery, kept, explicitTable), principal));
    return settleWaiting(delivery.gate, keptOutcome, rateHeaders, delivery.wait);
  }
  return settleWaiting(delivery.gate, outcome, rateHeaders, delivery.wait);
}

async function draftFor(delivery: Delivery, message: PreparedMessage, explicitTable: string | undefined): Promise<MessageDraft> {
  const { messageId, bytes } = delivery;
  const deliveryId = message.provenance.deliveryId;
  const idempotencyKey = await deliveryKey(deliveryId, delivery.idempotencyHeader);
  return {
    messageId,
    endpoint: 'push',
    payloadFormat: message.payloadFormat,
    targetTable: message.targetTable,
    itemKey: null,
    payload: message.payloadText,
    rowCount: message.rowCount,
    receipt: receiptOf(messageId, message),
    idempotencyKey,
    // A provider's delivery id is the provider's word that it is the same delivery, whatever its body (Stripe's
    // `pending_webhooks` changes between retries): a key from it is bound to itself, so a redelivery is always a
    // replay, never a 422 the provider would retry for days. A sender's own Idempotency-Key is bound to the body.
    requestSha256Hex:
      idempotencyKey === null
        ? null
        : await fingerprint(`delivery\n${explicitTable ?? ''}`, deliveryId !== null ? new TextEncoder().encode(deliveryId) : bytes),
    provenance: message.provenance,
    deadOnArrival: message.deadOnArrival,
  };
}

/** A sender's mistake found after admission is answered with the rate-limit headers, as every admitted request is. */
async function refusedWith<T>(rateHeaders: Record<string, string>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof BoitataError ? withHeaders(error, rateHeaders) : error;
  }
}

type PreparedMessage = PreparedDelivery & { kind: 'message' };

/** ?table= / x-target-table when they are valid (or absent); undefined when not: then they are told after admission. */
function explicitTableIfValid(target: DeliveryTarget): { table: string | undefined } | undefined {
  try {
    return { table: target.explicitTable() };
  } catch {
    return undefined;
  }
}

function receiptOf(messageId: string, message: PreparedMessage): IngestReceipt {
  if (message.deadOnArrival === null) return buildIngestReceipt(messageId, message.tables);
  const { code, reason } = message.deadOnArrival;
  return { message_id: messageId, status: 'dead_lettered', tables: [], rows: 0, error: { code, message: reason } };
}

/** The provider's delivery id (hashed when it is not usable as a key as it is), else the sender's Idempotency-Key. */
async function deliveryKey(deliveryId: string | null, header: string | undefined): Promise<string | null> {
  if (deliveryId !== null) return USABLE_KEY.test(deliveryId) ? deliveryId : `delivery-sha256:${await sha256Hex(deliveryId)}`;
  return readIdempotencyKey(header) ?? null;
}

function headerMap(headers: Headers): HeaderMap {
  const map: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!UNSIGNED_HEADERS.has(name)) map[name] = value;
  });
  return map;
}
