// The per-credential gate, a SQLite-backed Durable Object: config cache, IP allowlist, token bucket, idempotency.
import { DurableObject } from 'cloudflare:workers';
import { BoitataError } from '../../shared/errors.ts';
import { readEdgeConfig, type EdgeConfig } from '../config.ts';
import { createSqlClient, noAnswerInTime, type SqlClient } from '../db/sql-client.ts';
import { createWebSocketSqlClient } from '../db/websocket-sql-client.ts';
import { PostgresQueueWriter } from '../queue/postgres-queue-writer.ts';
import { EnqueueBatcher, isDataException, type BatchedResult } from './enqueue-batcher.ts';
import { timingSafeEqualHex } from '../auth/secrets.ts';
import { loadCredentialConfig, type CredentialConfig } from './credential-config.ts';
import {
  completeMessage, DATABASE_RETRY_AFTER_SECONDS, intoTable, UNAUTHORIZED_MESSAGE,
  type AdmitDecision, type AdmitRequest, type DeadlinedMessage, type DeliveryAdmitRequest, type DeliveryGuess,
  type EnqueueOutcome, type Gate, type IngestDecision, type MessageDraft,
} from './gate-protocol.ts';
import { IdempotencyStore } from './idempotency-store.ts';
import { compileAllowlist, type IpAllowlist } from '../../shared/ip-allowlist.ts';
import { TokenBucket } from './token-bucket.ts';
import { SignatureCheck } from './signature-check.ts';
import { MAX_BODY_BYTES } from '../../shared/json-safety.ts';

/** Batches in flight at once per gate, each on its own warm connection (opened on first use). */
const WRITE_CONNECTIONS = 2;

interface CachedConfig {
  config: CredentialConfig | null;
  allowlist: IpAllowlist;
  loadedAt: number;
}

export class CredentialGate extends DurableObject implements Gate {
  private readonly idempotency: IdempotencyStore;
  private edgeConfig: EdgeConfig;
  /** The HTTP path, for the rare config reads; writes go over the batcher's warm connections. */
  private configSql: SqlClient;
  private cached: CachedConfig | undefined;
  private loading: Promise<CachedConfig> | undefined;
  private bucket: TokenBucket | undefined;
  private signatures: SignatureCheck;
  /** Not private: tests swap its writers to simulate Postgres going down. */
  readonly batcher: EnqueueBatcher;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.edgeConfig = readEdgeConfig(env);
    this.idempotency = new IdempotencyStore(ctx.storage.sql);
    this.configSql = createSqlClient(this.edgeConfig);
    this.signatures = new SignatureCheck(this.edgeConfig);
    // Writes go over connections kept warm in this object; the rare config reads use the HTTP path.
    this.batcher = new EnqueueBatcher(
      Array.from({ length: WRITE_CONNECTIONS }, () => new PostgresQueueWriter(createWebSocketSqlClient(this.edgeConfig))),
    );
  }

  /**
   * Tests only: points this running gate at another database (a relay they can freeze) and changes its deadline
   * or config TTL, as a redeploy with other settings would.
   */
  reconfigure(overrides: Partial<Pick<EdgeConfig, 'databaseUrl' | 'databaseDeadlineMs' | 'gateConfigTtlMs' | 'secretsKey' | 'previousSecretsKey'>>): void {
    this.edgeConfig = { ...this.edgeConfig, ...overrides };
    this.signatures = new SignatureCheck(this.edgeConfig);
    this.cached = undefined;
    this.configSql = createSqlClient(this.edgeConfig);
    this.batcher.replaceWriters(() => new PostgresQueueWriter(createWebSocketSqlClient(this.edgeConfig)));
  }

  async admit(request: AdmitRequest): Promise<AdmitDecision> {
    const deadlineAt = Date.now() + this.edgeConfig.databaseDeadlineMs;
    const known = await this.authenticated(request, deadlineAt);
    if (known.kind === 'reject') return known;
    const { config, allowlist } = known;
    const now = Date.now();

    // The Worker sent no signed material (it did not know the connection verifies signatures): it sends the request
    // again as a delivery, so nothing is counted here.
    if (config.verification !== null && request.signature === undefined) {
      return {
        kind: 'reject',
        code: 'signature_missing',
        message: 'This connection accepts only signed provider deliveries, at POST /v1/ingest/push/{ingestToken}.',
        signatureRequired: true,
      };
    }
    if (!allowlist.allows(request.clientIp)) {
      return { kind: 'reject', code: 'ip_not_allowed', message: 'This address is not in the connection\'s allowed IP ranges.' };
    }

    const bucket = this.bucketFor(config.rateLimitPerMinute, now);
    const taken = bucket.take(now);
    if (!taken.allowed) {
      return {
        kind: 'reject',
        code: 'rate_limited',
        message: `Rate limit of ${config.rateLimitPerMinute} requests per minute reached; retry after ${taken.retryAfterSeconds} s.`,
        rateLimit: taken.state,
        retryAfterSeconds: taken.retryAfterSeconds,
      };
    }
    const rateLimit = taken.state;

    // After the allowlist and the rate limit: a bad signature costs the sender a token, and an address outside the
    // allowlist learns nothing about its signature.
    if (config.verification !== null && request.signature !== undefined) {
      let verified;
      try {
        verified = await this.signatures.verify(config.connectionId!, config.verification, request.signature, now);
      } catch (error) {
        const failure = asGateFailure(error);
        logGateFailure('signature check failed', failure, { tenant: config.tenantId });
        return { kind: 'reject', code: failure.code, message: failure.message, rateLimit };
      }
      if (!verified.ok) return { kind: 'reject', code: verified.code, message: verified.message, rateLimit };
    }

    if (request.sourceClaim !== undefined && request.sourceClaim !== config.sourceId) {
      return {
        kind: 'reject',
        code: 'source_not_allowed',
        message: 'source_id does not belong to this API key: use the key generated for that event source.',
        rateLimit,
      };
    }

    if (request.idempotency !== undefined) {
      const begun = this.idempotency.begin(request.idempotency.key, request.idempotency.requestHash, now);
      switch (begun.kind) {
        case 'started':
          await this.scheduleCleanup();
          break;
        case 'replay':
          return { kind: 'replay', response: begun.response, rateLimit };
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
            message: 'This Idempotency-Key was already used with a different request body; use a new key for new data.',
            rateLimit,
          };
      }
    }

    return {
      kind: 'proceed',
      rateLimit,
      principal: {
        tenantId: config.tenantId,
        connectionId: config.connectionId,
        apiKeyId: config.apiKeyId,
        idempotencyScope: config.idempotencyScope,
        defaultTable: config.defaultTable,
        verifyPreset: config.verification?.preset ?? null,
        deadlineAt,
      },
    };
  }

  async bodyLimit(request: AdmitRequest): Promise<{ kind: 'limit'; bytes: number } | Extract<AdmitDecision, { kind: 'reject' }>> {
    const known = await this.authenticated(request, Date.now() + this.edgeConfig.databaseDeadlineMs);
    if (known.kind === 'reject') return known;
    if (!known.allowlist.allows(request.clientIp)) {
      return { kind: 'reject', code: 'ip_not_allowed', message: 'This address is not in the connection\'s allowed IP ranges.' };
    }
    // A raised limit is for signed deliveries (GitHub sends up to 25 MB); every other request keeps 1 MiB.
    const raised = known.config.verification === null ? null : known.config.maxBodyBytes;
    return { kind: 'limit', bytes: raised ?? MAX_BODY_BYTES };
  }

  /** The credential's config when the request's token (and tenant claim) are right, or the 401/503 why not. */
  private async authenticated(
    request: AdmitRequest,
    deadlineAt: number,
  ): Promise<(CachedConfig & { kind: 'known'; config: CredentialConfig }) | Extract<AdmitDecision, { kind: 'reject' }>> {
    let cached: CachedConfig;
    try {
      cached = await this.currentConfig(request, deadlineAt);
    } catch (error) {
      const failure = asGateFailure(error);
      logGateFailure('credential config unreadable', failure, {});
      return { kind: 'reject', code: failure.code, message: failure.message, ...retryAfter(failure) };
    }
    const { config } = cached;
    const now = Date.now();
    // x-tenant-id may be absent (null) only where a provider signature stands in for it.
    const tenantClaimOk =
      request.tenantClaim === undefined ||
      (request.tenantClaim === null ? config?.verification != null : request.tenantClaim === config?.tenantId);
    if (
      config === null ||
      config.revoked ||
      (config.expiresAt !== null && config.expiresAt <= now) ||
      !timingSafeEqualHex(config.storedHashHex, request.hashHex) ||
      !tenantClaimOk
    ) {
      return { kind: 'reject', code: 'unauthorized', message: UNAUTHORIZED_MESSAGE };
    }
    return { ...cached, kind: 'known', config };
  }

  async admitDelivery(
    request: DeliveryAdmitRequest,
    draft: MessageDraft,
    guess: DeliveryGuess,
  ): Promise<IngestDecision | Extract<AdmitDecision, { kind: 'proceed' }>> {
    const body = request.signature.body ?? new TextEncoder().encode(draft.payload);
    const decision = await this.admit({ ...request, signature: { headers: request.signature.headers, body } });
    if (decision.kind !== 'proceed' || decision.principal.verifyPreset !== guess.preset) return decision;
    const defaultTable = decision.principal.defaultTable;
    const message = guess.tableFromEvent && defaultTable !== null ? intoTable(draft, defaultTable) : draft;
    const outcome = await this.enqueue(completeMessage(message, decision.principal));
    return { ...outcome, rateLimit: decision.rateLimit };
  }

  async admitAndEnqueue(request: AdmitRequest, draft: MessageDraft): Promise<IngestDecision> {
    const decision = await this.admit(request);
    if (decision.kind !== 'proceed') return decision;
    const outcome = await this.enqueue(completeMessage(draft, decision.principal));
    return { ...outcome, rateLimit: decision.rateLimit };
  }

  async enqueue(deadlined: DeadlinedMessage): Promise<EnqueueOutcome> {
    // The admission's deadline when the message carries one (never later than a fresh one); the rest is the message.
    const { deadlineAt: admittedDeadline, ...message } = deadlined;
    const fresh = Date.now() + this.edgeConfig.databaseDeadlineMs;
    const deadlineAt = Math.min(admittedDeadline ?? fresh, fresh);
    const key = message.idempotencyKey;
    let result: BatchedResult;
    try {
      result = await this.batcher.enqueue(message, deadlineAt);
    } catch (error) {
      if (key !== null) this.idempotency.release(key);
      const failure = isDataException(error)
        ? new BoitataError('invalid_payload', `Postgres cannot store a value in this body: ${describeCause(error)}.`, {
            problems: [{ path: '$', message: describeCause(error) }],
            cause: error,
          })
        : asGateFailure(error);
      logGateFailure('enqueue failed', failure, { tenant: message.tenantId, message_id: message.messageId });
      return { kind: 'reject', code: failure.code, message: failure.message, ...retryAfter(failure) };
    }
    if (result.kind === 'duplicate' && result.requestSha256Hex !== message.requestSha256Hex) {
      if (key !== null) this.idempotency.release(key);
      return {
        kind: 'reject',
        code: 'idempotency_key_reused',
        message: 'This Idempotency-Key was already used with a different request body; use a new key for new data.',
      };
    }
    const body = JSON.stringify(result.kind === 'inserted' ? message.receipt : result.receipt);
    if (key !== null) this.idempotency.complete(key, { status: 202, body }, Date.now());
    return { kind: 'stored', body, replayed: result.kind === 'duplicate' };
  }

  async release(key: string): Promise<void> {
    this.idempotency.release(key);
  }

  override async alarm(): Promise<void> {
    this.idempotency.purgeExpired(Date.now());
    await this.scheduleCleanup();
  }

  private async scheduleCleanup(): Promise<void> {
    const next = this.idempotency.nextExpiry();
    if (next === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }

  private bucketFor(limit: number, now: number): TokenBucket {
    if (this.bucket === undefined) this.bucket = new TokenBucket(limit, now);
    else this.bucket.resize(limit);
    return this.bucket;
  }

  /**
   * The cached config, re-read from Postgres once it is older than GATE_CONFIG_TTL_SECONDS. Concurrent admissions
   * share one read, but each waits only until its own deadline.
   */
  private async currentConfig(request: AdmitRequest, deadlineAt: number): Promise<CachedConfig> {
    const fresh = this.cached !== undefined && Date.now() - this.cached.loadedAt < this.edgeConfig.gateConfigTtlMs;
    if (fresh) return this.cached!;
    this.loading ??= this.loadConfig(request, deadlineAt).finally(() => {
      this.loading = undefined;
    });
    const waitedFrom = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(noAnswerInTime(Date.now() - waitedFrom)), Math.max(0, deadlineAt - waitedFrom));
    });
    try {
      return await Promise.race([this.loading, timedOut]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  private async loadConfig(request: AdmitRequest, deadlineAt: number): Promise<CachedConfig> {
    const config = await loadCredentialConfig(this.configSql, request.kind, request.hashHex, { deadlineAt });
    this.cached = { config, allowlist: compileAllowlist(config?.allowedCidrs ?? []), loadedAt: Date.now() };
    return this.cached;
  }
}

/** The operator needs the cause; the log gets the SQLSTATE and a short message, never the payload or a secret. */
function logGateFailure(msg: string, failure: BoitataError, context: Record<string, string>): void {
  if (failure.isUserError) return; // the sender was told what to fix; nothing for the operator
  const cause = rootCause(failure) as { code?: unknown; message?: unknown } | undefined;
  console.error(
    JSON.stringify({
      level: 'error',
      msg,
      code: failure.code,
      ...context,
      sqlstate: typeof cause?.code === 'string' ? cause.code : undefined,
      cause: typeof cause?.message === 'string' ? cause.message.slice(0, 200) : undefined,
    }),
  );
}

/** A 503 says when to come back; other failures say nothing. */
function retryAfter(failure: BoitataError): { retryAfterSeconds?: number } {
  return failure.code === 'database_unavailable' ? { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS } : {};
}

/** Errors from the SQL clients are already classified (503 or 500); anything else is our bug, a 500. */
function asGateFailure(error: unknown): BoitataError {
  return error instanceof BoitataError
    ? error
    : new BoitataError('internal_error', 'An unexpected error occurred in the gate.', { cause: error });
}

/** The error a BoitataError wraps, however deeply (a driver or Postgres error), or undefined. */
function rootCause(error: unknown): unknown {
  let cause = error;
  while (cause instanceof BoitataError) cause = cause.cause;
  return cause;
}

function describeCause(error: unknown): string {
  const cause = rootCause(error);
  return cause instanceof Error ? cause.message.slice(0, 200) : 'a value is out of range';
}
