// The per-credential gate, a SQLite-backed Durable Object: it admits a request (config cache, IP allowlist, token
// bucket, signature, idempotency) and enqueues it through warm connections; it answers its credential's message
// status reads and holds `Prefer: wait` requests until their messages land. The rules are admission-rules.ts.
import { DurableObject } from 'cloudflare:workers';
import { MAX_BODY_BYTES } from '../../shared/json-safety.ts';
import { readEdgeConfig, type EdgeConfig } from '../config.ts';
import { createSqlClient, type SqlClient } from '../db/sql-client.ts';
import { createWebSocketSqlClient } from '../db/websocket-sql-client.ts';
import { isMessageId, readMessageStatus } from '../queue/message-status-reader.ts';
import { PostgresQueueWriter } from '../queue/postgres-queue-writer.ts';
import { readSettledMessages } from '../queue/settled-messages.ts';
import {
  authenticates,
  heldKeyAnswer,
  ipRefusal,
  KEY_REUSED_MESSAGE,
  principalOf,
  rateLimited,
  signatureMissing,
  sourceRefusal,
  type Refusal,
} from './admission-rules.ts';
import { ConfigCache, type CachedConfig, type ConfigSource } from './config-cache.ts';
import type { CredentialConfig } from './credential-config.ts';
import { EnqueueBatcher, type BatchedResult } from './enqueue-batcher.ts';
import { asEnqueueFailure, asGateFailure, isCredentialGone, logGateFailure, retryAfter } from './gate-failure.ts';
import {
  completeMessage,
  intoTable,
  UNAUTHORIZED_MESSAGE,
  type AdmitDecision,
  type AdmitRequest,
  type DeadlinedMessage,
  type DeliveryAdmitRequest,
  type DeliveryGuess,
  type EnqueueOutcome,
  type Gate,
  type IngestDecision,
  type MessageDraft,
  type StatusDecision,
} from './gate-protocol.ts';
import { IdempotencyStore } from './idempotency-store.ts';
import { LandingWatch, type LandingOutcome } from './landing-watch.ts';
import { SignatureCheck } from './signature-check.ts';
import { TokenBucket, type RateLimitState } from './token-bucket.ts';

/** Batches in flight at once per gate, each on its own warm connection (opened on first use). */
const WRITE_CONNECTIONS = 2;

// A status read stores nothing: the enqueue's advice about Idempotency-Keys does not apply to it.
const STATUS_UNAVAILABLE_MESSAGE = 'The queue database is unavailable, or did not answer in time; read the message status again later.';

export class CredentialGate extends DurableObject implements Gate {
  private readonly idempotency: IdempotencyStore;
  private edgeConfig: EdgeConfig;
  private readonly configs: ConfigCache;
  private bucket: TokenBucket | undefined;
  private signatures: SignatureCheck;
  /** Not private: tests swap its writers to simulate Postgres going down. */
  readonly batcher: EnqueueBatcher;
  /** Status reads go over HTTP, like config reads: one round trip each, no connection kept for them. */
  private statusReads: SqlClient;
  /** The landing watch's own warm connection (closed after a minute without waiting requests). */
  private watchSql: SqlClient;
  private readonly landings: LandingWatch;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.edgeConfig = readEdgeConfig(env);
    this.idempotency = new IdempotencyStore(ctx.storage.sql);
    this.configs = new ConfigCache(configSource(this.edgeConfig));
    this.signatures = new SignatureCheck(this.edgeConfig);
    // Writes go over connections kept warm in this object; the rare config reads use the HTTP path.
    this.batcher = new EnqueueBatcher(Array.from({ length: WRITE_CONNECTIONS }, () => new PostgresQueueWriter(createWebSocketSqlClient(this.edgeConfig))));
    this.statusReads = createSqlClient(this.edgeConfig);
    this.watchSql = createWebSocketSqlClient(this.edgeConfig);
    this.landings = new LandingWatch((ids, deadlineAt) => readSettledMessages(this.watchSql, ids, { deadlineAt }), {
      onPollFailure: (error) => logGateFailure('landing poll failed', asGateFailure(error), {}),
    });
  }

  /**
   * Tests only: points this running gate at another database (a relay they can freeze) and changes its deadline
   * or config TTL, as a redeploy with other settings would.
   */
  reconfigure(overrides: Partial<Pick<EdgeConfig, 'databaseUrl' | 'databaseDeadlineMs' | 'gateConfigTtlMs' | 'secretsKey' | 'previousSecretsKey'>>): void {
    this.edgeConfig = { ...this.edgeConfig, ...overrides };
    this.signatures = new SignatureCheck(this.edgeConfig);
    this.configs.reset(configSource(this.edgeConfig));
    this.batcher.replaceWriters(() => new PostgresQueueWriter(createWebSocketSqlClient(this.edgeConfig)));
    this.statusReads = createSqlClient(this.edgeConfig);
    this.watchSql = createWebSocketSqlClient(this.edgeConfig);
  }

  async admit(request: AdmitRequest): Promise<AdmitDecision> {
    const deadlineAt = Date.now() + this.edgeConfig.databaseDeadlineMs;
    const known = await this.authenticated(request, deadlineAt);
    if (known.kind === 'reject') return known;
    const { config, allowlist } = known;
    const now = Date.now();
    const uncounted = signatureMissing(config, request) ?? ipRefusal(allowlist, request.clientIp);
    if (uncounted !== undefined) return uncounted;

    const taken = this.bucketFor(config.rateLimitPerMinute, now).take(now);
    if (!taken.allowed) return rateLimited(config.rateLimitPerMinute, taken);
    const rateLimit = taken.state;

    // After the allowlist and the rate limit: a bad signature costs the sender a token, and an address outside the
    // allowlist learns nothing about its signature. The Idempotency-Key last: it is begun only for a request that
    // nothing else refuses.
    const refused =
      (await this.signatureRefusal(config, request, rateLimit, now)) ??
      sourceRefusal(config, request.sourceClaim, rateLimit) ??
      (await this.beginIdempotency(request, rateLimit, now));
    if (refused !== undefined) return refused;
    return { kind: 'proceed', rateLimit, principal: principalOf(config, deadlineAt) };
  }

  async bodyLimit(request: AdmitRequest): Promise<{ kind: 'limit'; bytes: number } | Refusal> {
    const known = await this.authenticated(request, Date.now() + this.edgeConfig.databaseDeadlineMs);
    if (known.kind === 'reject') return known;
    const refused = ipRefusal(known.allowlist, request.clientIp);
    if (refused !== undefined) return refused;
    // A raised limit is for signed deliveries (GitHub sends up to 25 MB); every other request keeps 1 MiB.
    const raised = known.config.verification === null ? null : known.config.maxBodyBytes;
    return { kind: 'limit', bytes: raised ?? MAX_BODY_BYTES };
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
      const failure = asEnqueueFailure(error);
      if (isCredentialGone(error)) this.configs.forget(); // deleted after it was cached: admit no more on the old copy
      logGateFailure('enqueue failed', failure, { tenant: message.tenantId, message_id: message.messageId });
      return { kind: 'reject', code: failure.code, message: failure.message, ...retryAfter(failure) };
    }
    if (result.kind === 'duplicate' && result.requestSha256Hex !== message.requestSha256Hex) {
      if (key !== null) this.idempotency.release(key);
      return { kind: 'reject', code: 'idempotency_key_reused', message: KEY_REUSED_MESSAGE };
    }
    const body = JSON.stringify(result.kind === 'inserted' ? message.receipt : result.receipt);
    if (key !== null) this.idempotency.complete(key, { status: 202, body }, Date.now());
    return { kind: 'stored', body, replayed: result.kind === 'duplicate' };
  }

  async release(key: string): Promise<void> {
    this.idempotency.release(key);
  }

  async messageStatus(request: AdmitRequest, messageId: string): Promise<StatusDecision> {
    const deadlineAt = Date.now() + this.edgeConfig.databaseDeadlineMs;
    const known = await this.authenticated(request, deadlineAt);
    if (known.kind === 'reject') return known;
    const { config } = known;
    const refused = ipRefusal(known.allowlist, request.clientIp);
    if (refused !== undefined) return refused;
    const now = Date.now();
    const taken = this.bucketFor(config.rateLimitPerMinute, now).take(now);
    if (!taken.allowed) return rateLimited(config.rateLimitPerMinute, taken);
    const rateLimit = taken.state;
    // A malformed id is not found like any other: it costs the same token and gets the same answer.
    if (!isMessageId(messageId)) return { kind: 'not_found', rateLimit };
    try {
      const scope = { messageId, tenantId: config.tenantId, idempotencyScope: config.idempotencyScope };
      const status = await readMessageStatus(this.statusReads, scope, { deadlineAt });
      return status === null ? { kind: 'not_found', rateLimit } : { kind: 'found', status, rateLimit };
    } catch (error) {
      const failure = asGateFailure(error);
      logGateFailure('message status unreadable', failure, { tenant: config.tenantId });
      const message = failure.code === 'database_unavailable' ? STATUS_UNAVAILABLE_MESSAGE : failure.message;
      return { kind: 'reject', code: failure.code, message, rateLimit, ...retryAfter(failure) };
    }
  }

  async awaitLanding(messageId: string, waitMs: number): Promise<LandingOutcome> {
    if (!isMessageId(messageId)) return { kind: 'timeout' };
    return this.landings.wait(messageId, waitMs);
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

  /** The credential's config when the request's token (and tenant claim) are right, or the 401/503 why not. */
  private async authenticated(request: AdmitRequest, deadlineAt: number): Promise<(CachedConfig & { kind: 'known'; config: CredentialConfig }) | Refusal> {
    let cached: CachedConfig;
    try {
      cached = await this.configs.current(request.kind, request.hashHex, deadlineAt);
    } catch (error) {
      const failure = asGateFailure(error);
      logGateFailure('credential config unreadable', failure, {});
      return { kind: 'reject', code: failure.code, message: failure.message, ...retryAfter(failure) };
    }
    const { config } = cached;
    if (config === null || !authenticates(config, request, Date.now())) {
      return { kind: 'reject', code: 'unauthorized', message: UNAUTHORIZED_MESSAGE };
    }
    return { ...cached, kind: 'known', config };
  }

  /** A delivery to a connection that verifies signatures, checked against its signing secrets. */
  private async signatureRefusal(config: CredentialConfig, request: AdmitRequest, rateLimit: RateLimitState, now: number): Promise<Refusal | undefined> {
    if (config.verification === null || request.signature === undefined) return undefined;
    try {
      const verified = await this.signatures.verify(config.connectionId!, config.verification, request.signature, now);
      return verified.ok ? undefined : { kind: 'reject', code: verified.code, message: verified.message, rateLimit };
    } catch (error) {
      const failure = asGateFailure(error);
      logGateFailure('signature check failed', failure, { tenant: config.tenantId });
      return { kind: 'reject', code: failure.code, message: failure.message, rateLimit };
    }
  }

  /** Begins the request's Idempotency-Key, or answers the sender of a key this gate already holds. */
  private async beginIdempotency(request: AdmitRequest, rateLimit: RateLimitState, now: number): Promise<AdmitDecision | undefined> {
    if (request.idempotency === undefined) return undefined;
    const begun = this.idempotency.begin(request.idempotency.key, request.idempotency.requestHash, now);
    if (begun.kind !== 'started') return heldKeyAnswer(begun, rateLimit);
    await this.scheduleCleanup();
    return undefined;
  }
}

function configSource(config: EdgeConfig): ConfigSource {
  return { sql: createSqlClient(config), ttlMs: config.gateConfigTtlMs };
}
