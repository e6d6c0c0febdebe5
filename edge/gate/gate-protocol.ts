// What a Worker asks a credential's gate and what it answers: plain data, so it crosses the RPC boundary as is.
import type { CredentialKind } from '../../shared/credential-format.ts';
import type { ErrorCode } from '../../shared/errors.ts';
import type { MessageStatus } from '../../shared/message-status.ts';
import type { InboundMessage } from '../../shared/queue-message.ts';
import type { HeaderMap, VerifyPreset } from '../../shared/webhooks/presets.ts';
import type { StoredResponse } from './idempotency-store.ts';
import type { LandingOutcome } from './landing-watch.ts';
import type { RateLimitState } from './token-bucket.ts';

export interface AdmitRequest {
  kind: CredentialKind;
  hashHex: string;
  /**
   * The x-tenant-id header, for endpoints that require it; a mismatch is the same 401 as a bad token. Null when the
   * push endpoint got none: only a connection that verifies provider signatures accepts that (providers cannot set it).
   */
  tenantClaim?: string | null;
  /** The event's source_id, for the events API: it must be the key's source. */
  sourceClaim?: string;
  /** CF-Connecting-IP as received, or null. */
  clientIp: string | null;
  /** Absent when the request carries no Idempotency-Key, or its body was already refused. */
  idempotency?: { key: string; requestHash: string };
  /** What a provider signed: the headers (lower-case names) and the body bytes as received. Push deliveries only. */
  signature?: { headers: HeaderMap; body: Uint8Array };
}

export interface Principal {
  tenantId: string;
  connectionId: string | null;
  apiKeyId: string | null;
  idempotencyScope: string;
  defaultTable: string | null;
  /** The provider signature the gate verified for this request, or null for a plain connection. */
  verifyPreset: VerifyPreset | null;
  /** Epoch ms by which the request must be answered, set when the gate admitted it (see completeMessage). */
  deadlineAt?: number;
}

export type AdmitDecision =
  | { kind: 'proceed'; principal: Principal; rateLimit: RateLimitState }
  | { kind: 'replay'; response: StoredResponse; rateLimit: RateLimitState }
  | {
      kind: 'reject';
      code: ErrorCode;
      message: string;
      rateLimit?: RateLimitState;
      retryAfterSeconds?: number;
      /** The connection verifies signatures and the request came without them: send it again with `signature`. */
      signatureRequired?: true;
    };

/** A message as the Worker prepares it, before the gate knows whose it is. */
export type MessageDraft = Omit<InboundMessage, 'tenantId' | 'connectionId' | 'apiKeyId' | 'idempotencyScope'>;

/** A message on its way to the gate's enqueue, still carrying its admission's deadline. */
export type DeadlinedMessage = InboundMessage & { deadlineAt?: number };

/**
 * The message to enqueue once admitted. It carries the admission's deadline, so a request that calls admit()
 * and then enqueue() (a push waiting for the default table) has one deadline for both, not one each.
 */
export function completeMessage(draft: MessageDraft, principal: Principal): DeadlinedMessage {
  return {
    ...draft,
    tenantId: principal.tenantId,
    connectionId: principal.connectionId,
    apiKeyId: principal.apiKeyId,
    idempotencyScope: principal.idempotencyScope,
    ...(principal.deadlineAt === undefined ? {} : { deadlineAt: principal.deadlineAt }),
  };
}

/**
 * A delivery prepared before admission for the preset its signature header names (see admitDelivery). `body` may
 * be left out when the draft's payload is the body's text as it is: the gate verifies over that instead of a copy.
 */
export type DeliveryAdmitRequest = Omit<AdmitRequest, 'signature'> & { signature: { headers: HeaderMap; body?: Uint8Array } };

export interface DeliveryGuess {
  preset: VerifyPreset;
  /** The table was chosen by the event type: the connection's default table, when it has one, takes its place. */
  tableFromEvent: boolean;
}

/** The draft in the connection's default table instead of the event type's (one object: one row). */
export function intoTable(draft: MessageDraft, table: string): MessageDraft {
  const receipt =
    'tables' in draft.receipt && draft.receipt.status === 'queued' ? { ...draft.receipt, tables: [{ table, rows: draft.rowCount }] } : draft.receipt;
  return { ...draft, targetTable: table, receipt };
}

export type EnqueueOutcome =
  /** Committed in Postgres; `replayed` when the queue already held this Idempotency-Key with the same request. */
  { kind: 'stored'; body: string; replayed: boolean } | { kind: 'reject'; code: ErrorCode; message: string; retryAfterSeconds?: number };

export type IngestDecision = Exclude<AdmitDecision, { kind: 'proceed' }> | { kind: 'stored'; body: string; replayed: boolean; rateLimit: RateLimitState };

/**
 * A message status read: the message, or `not_found` for any id this credential may not see (unknown, malformed,
 * another tenant's or credential's, pruned by retention), or the refusal of the read itself.
 */
export type StatusDecision =
  | { kind: 'found'; status: MessageStatus; rateLimit: RateLimitState }
  | { kind: 'not_found'; rateLimit: RateLimitState }
  | Extract<AdmitDecision, { kind: 'reject' }>;

/** The gate as the Worker sees it; the Durable Object stub satisfies it. */
export interface Gate {
  admit(request: AdmitRequest): Promise<AdmitDecision>;
  /** admit() then enqueue() in one call: the common path costs the Worker a single round trip to its gate. */
  admitAndEnqueue(request: AdmitRequest, draft: MessageDraft): Promise<IngestDecision>;
  /**
   * A signed delivery in one round trip: admit (the signature verified), then enqueue the draft the Worker prepared
   * for `guess.preset`. When the connection verifies another preset it answers `proceed`, stores nothing, and the
   * Worker prepares the delivery again for the right one.
   */
  admitDelivery(
    request: DeliveryAdmitRequest,
    draft: MessageDraft,
    guess: DeliveryGuess,
  ): Promise<IngestDecision | Extract<AdmitDecision, { kind: 'proceed' }>>;
  /** Writes the message to the queue (batched with concurrent ones) and records the answer for its Idempotency-Key. */
  enqueue(message: DeadlinedMessage): Promise<EnqueueOutcome>;
  /**
   * The largest body this credential may send (a connection may raise the 1 MiB default for signed deliveries),
   * asked only for a body past 1 MiB; a request that would not be admitted is refused here, before its body is read.
   */
  bodyLimit(request: AdmitRequest): Promise<{ kind: 'limit'; bytes: number } | Extract<AdmitDecision, { kind: 'reject' }>>;
  /** Forgets an in-flight Idempotency-Key whose request was refused after admission. */
  release(key: string): Promise<void>;
  /**
   * GET /v1/ingest/messages/{id}: authenticates like admit() (no Idempotency-Key, no signature), takes a token from
   * the credential's rate limit, and reads the message within the credential's tenant and idempotency scope.
   */
  messageStatus(request: AdmitRequest, messageId: string): Promise<StatusDecision>;
  /**
   * `Prefer: wait=N`: holds until the message this gate just stored (or replayed) has landed or died, or `waitMs`
   * passed. One batched poll per gate serves every waiting request (landing-watch.ts).
   */
  awaitLanding(messageId: string, waitMs: number): Promise<LandingOutcome>;
}

export interface GateDirectory {
  gateFor(kind: CredentialKind, hashHex: string): Gate;
}

/** What a 503 `database_unavailable` tells the sender to wait before retrying (with the same Idempotency-Key). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export const UNAUTHORIZED_MESSAGE = 'Missing or invalid credentials: check the token or key, and the x-tenant-id header where the endpoint needs it.';
