// A provider's delivery to the push URL: the token names the connection, the provider's signature over the body as
// received stands in for x-tenant-id, and the provider's delivery id is the idempotency key.
import type { Context } from 'hono';
import { isWellFormedCredential } from '../../shared/credential-format.ts';
import { BoitataError } from '../../shared/errors.ts';
import { MAX_BODY_BYTES } from '../../shared/json-safety.ts';
import { buildIngestReceipt, type IngestReceipt } from '../../shared/queue-message.ts';
import type { HeaderMap } from '../../shared/webhooks/presets.ts';
import { credentialDigest, sha256Hex } from '../auth/secrets.ts';
import { completeMessage, UNAUTHORIZED_MESSAGE, type AdmitRequest, type MessageDraft } from '../gate/gate-protocol.ts';
import { readBodyBytes } from '../http/read-json-body.ts';
import { prepareDelivery } from './prepare-delivery.ts';
import { fingerprint, headersFor, readIdempotencyKey, rejection, settle, withHeaders, type IngestDeps } from './ingest-flow.ts';

export interface DeliveryTarget {
  token: string;
  /** ?table= / x-target-table, already checked to agree. */
  explicitTable: string | undefined;
  /** The body, when the push flow already read it before learning the connection verifies signatures. */
  bytes?: Uint8Array | undefined;
}

// Never handed to the gate: credentials of other schemes, and cookies.
const UNSIGNED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
// Printable ASCII without a comma, as for an Idempotency-Key header.
const USABLE_KEY = /^[\x21-\x2B\x2D-\x7E][\x20-\x2B\x2D-\x7E]{0,254}$/;

export async function receiveDelivery(c: Context, deps: IngestDeps, target: DeliveryTarget): Promise<Response> {
  const tenantHeader = c.req.header('x-tenant-id');
  if (!isWellFormedCredential('ingest', target.token) || tenantHeader === '') {
    throw new BoitataError('unauthorized', UNAUTHORIZED_MESSAGE);
  }
  const hashHex = await credentialDigest(target.token);
  const gate = deps.gates.gateFor('ingest', hashHex);
  const base: AdmitRequest = { kind: 'ingest', hashHex, clientIp: c.req.header('cf-connecting-ip') ?? null, tenantClaim: tenantHeader ?? null };

  // The bytes the provider signed. Past 1 MiB the gate is asked for the connection's own limit (and refuses a
  // request it would not admit, before its body is read).
  let bytes = target.bytes;
  if (bytes === undefined) {
    try {
      bytes = await readBodyBytes(c.req.raw, {
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

  const headers = headerMap(c.req.raw.headers);
  const decision = await gate.admit({ ...base, signature: { headers, body: bytes } });
  const rateHeaders = headersFor(decision.rateLimit);
  if (decision.kind !== 'proceed') return settle(decision, rateHeaders);
  const { principal } = decision;
  if (principal.verifyPreset === null) throw new BoitataError('unauthorized', UNAUTHORIZED_MESSAGE); // never admitted

  const prepared = prepareDelivery({
    preset: principal.verifyPreset,
    headers,
    body: bytes,
    explicitTable: target.explicitTable,
    defaultTable: principal.defaultTable ?? undefined,
  });
  if (prepared.kind === 'challenge') {
    return new Response(JSON.stringify({ challenge: prepared.challenge }), { status: 200, headers: { ...rateHeaders, 'content-type': 'application/json' } });
  }

  let idempotencyKey: string | null;
  try {
    idempotencyKey = await deliveryKey(prepared.provenance.deliveryId, c.req.header('idempotency-key'));
  } catch (error) {
    throw error instanceof BoitataError ? withHeaders(error, rateHeaders) : error;
  }
  const messageId = crypto.randomUUID();
  const receipt: IngestReceipt =
    prepared.deadOnArrival === null
      ? buildIngestReceipt(messageId, prepared.tables)
      : { message_id: messageId, status: 'dead_lettered', tables: [], rows: 0, error: { code: prepared.deadOnArrival.code, message: prepared.deadOnArrival.reason } };
  const draft: MessageDraft = {
    messageId,
    endpoint: 'push',
    payloadFormat: prepared.payloadFormat,
    targetTable: prepared.targetTable,
    itemKey: null,
    payload: prepared.payloadText,
    rowCount: prepared.rowCount,
    receipt,
    idempotencyKey,
    // A redelivery carries the same body (a new timestamp and signature): the body is what the key is bound to.
    requestSha256Hex: idempotencyKey === null ? null : await fingerprint(`delivery\n${target.explicitTable ?? ''}`, bytes),
    provenance: prepared.provenance,
    deadOnArrival: prepared.deadOnArrival,
  };
  return settle(await gate.enqueue(completeMessage(draft, principal)), rateHeaders);
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
