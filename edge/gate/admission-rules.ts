// The rules a gate admits a request by, as pure functions of the credential's config and the request: each gives
// the refusal, or undefined to go on. CredentialGate.admit applies them in order, around its token bucket.
import type { IpAllowlist } from '../../shared/ip-allowlist.ts';
import { timingSafeEqualHex } from '../auth/secrets.ts';
import type { CredentialConfig } from './credential-config.ts';
import type { AdmitDecision, AdmitRequest, Principal } from './gate-protocol.ts';
import type { BeginResult } from './idempotency-store.ts';
import type { RateLimitState } from './token-bucket.ts';

export type Refusal = Extract<AdmitDecision, { kind: 'reject' }>;

export const KEY_REUSED_MESSAGE = 'This Idempotency-Key was already used with a different request body; use a new key for new data.';

/** The request's token (and tenant claim) are this credential's, and it is neither revoked nor expired. */
export function authenticates(config: CredentialConfig, request: AdmitRequest, now: number): boolean {
  // x-tenant-id may be absent (null) only where a provider signature stands in for it.
  const tenantClaimOk =
    request.tenantClaim === undefined || (request.tenantClaim === null ? config.verification != null : request.tenantClaim === config.tenantId);
  return (
    !config.revoked && !(config.expiresAt !== null && config.expiresAt <= now) && timingSafeEqualHex(config.storedHashHex, request.hashHex) && tenantClaimOk
  );
}

/**
 * The Worker sent no signed material to a connection that verifies signatures (it did not know): it sends the
 * request again as a delivery, so this refusal counts nothing.
 */
export function signatureMissing(config: CredentialConfig, request: AdmitRequest): Refusal | undefined {
  if (config.verification === null || request.signature !== undefined) return undefined;
  return {
    kind: 'reject',
    code: 'signature_missing',
    message: 'This connection accepts only signed provider deliveries, at POST /v1/ingest/push/{ingestToken}.',
    signatureRequired: true,
  };
}

export function ipRefusal(allowlist: IpAllowlist, clientIp: string | null): Refusal | undefined {
  if (allowlist.allows(clientIp)) return undefined;
  return { kind: 'reject', code: 'ip_not_allowed', message: "This address is not in the connection's allowed IP ranges." };
}

export function rateLimited(limitPerMinute: number, taken: { state: RateLimitState; retryAfterSeconds: number }): Refusal {
  return {
    kind: 'reject',
    code: 'rate_limited',
    message: `Rate limit of ${limitPerMinute} requests per minute reached; retry after ${taken.retryAfterSeconds} s.`,
    rateLimit: taken.state,
    retryAfterSeconds: taken.retryAfterSeconds,
  };
}

/** The events API: the event's source_id must be the key's source. */
export function sourceRefusal(config: CredentialConfig, sourceClaim: string | undefined, rateLimit: RateLimitState): Refusal | undefined {
  if (sourceClaim === undefined || sourceClaim === config.sourceId) return undefined;
  return {
    kind: 'reject',
    code: 'source_not_allowed',
    message: 'source_id does not belong to this API key: use the key generated for that event source.',
    rateLimit,
  };
}

/** What the sender of an Idempotency-Key the gate already holds is answered. */
export function heldKeyAnswer(held: Exclude<BeginResult, { kind: 'started' }>, rateLimit: RateLimitState): AdmitDecision {
  switch (held.kind) {
    case 'replay':
      return { kind: 'replay', response: held.response, rateLimit };
    case 'in_flight':
      return {
        kind: 'reject',
        code: 'idempotency_request_in_flight',
        message: 'A request with this Idempotency-Key is still being processed; retry in a moment.',
        rateLimit,
      };
    case 'mismatch':
      return {
        kind: 'reject',
        code: 'idempotency_key_reused',
        message: KEY_REUSED_MESSAGE,
        rateLimit,
      };
  }
}

/** Whose request it is, as the Worker stamps it on the message; `deadlineAt` bounds its enqueue too. */
export function principalOf(config: CredentialConfig, deadlineAt: number): Principal {
  return {
    tenantId: config.tenantId,
    connectionId: config.connectionId,
    apiKeyId: config.apiKeyId,
    idempotencyScope: config.idempotencyScope,
    defaultTable: config.defaultTable,
    verifyPreset: config.verification?.preset ?? null,
    deadlineAt,
  };
}
