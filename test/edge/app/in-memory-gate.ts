// The gate port kept in memory for createApp tests: admits the credentials it was given, keeps Idempotency-Keys as the
// Durable Object does, writes through a QueueWriter, reads and awaits messages in it, and records every call the
// Worker makes (one call, one RPC).
import { credentialDigest } from '../../../edge/auth/secrets.ts';
import {
  completeMessage,
  DATABASE_RETRY_AFTER_SECONDS,
  UNAUTHORIZED_MESSAGE,
  type AdmitDecision,
  type AdmitRequest,
  type DeadlinedMessage,
  type DeliveryAdmitRequest,
  type EnqueueOutcome,
  type Gate,
  type GateDirectory,
  type IngestDecision,
  type MessageDraft,
  type Principal,
  type StatusDecision,
} from '../../../edge/gate/gate-protocol.ts';
import type { LandingOutcome } from '../../../edge/gate/landing-watch.ts';
import { isMessageId } from '../../../edge/queue/message-status-reader.ts';
import { MAX_WAIT_SECONDS } from '../../../shared/message-status.ts';
import type { InMemoryQueueWriter } from './in-memory-queue-writer.ts';
import type { CredentialKind } from '../../../shared/credential-format.ts';
import { MAX_BODY_BYTES } from '../../../shared/json-safety.ts';
import type { VerifyPreset } from '../../../shared/webhooks/presets.ts';

export interface FakeCredential {
  kind: CredentialKind;
  secret: string;
  tenantId: string;
  defaultTable?: string | null;
  sourceId?: string;
  /** A connection that verifies provider signatures. This gate verifies none: every signed request is refused. */
  verifyPreset?: VerifyPreset;
}

export type GateCall = { method: keyof Gate; request?: AdmitRequest; message?: DeadlinedMessage; key?: string; messageId?: string };

type Reject = Extract<AdmitDecision, { kind: 'reject' }>;

export const RATE_LIMIT = { limit: 60, remaining: 59, resetSeconds: 1 };

export class InMemoryGate implements Gate {
  readonly calls: GateCall[] = [];
  /** Idempotency-Keys begun by admission: in flight until enqueued (then the stored answer) or released. */
  readonly keys = new Map<string, { requestHash: string; body?: string }>();
  /** When set, admission of a known credential answers this instead (a rate limit, a database that is down). */
  rejectAdmission: Reject | undefined;
  private readonly credential: (FakeCredential & { hashHex: string }) | undefined;
  private readonly writer: InMemoryQueueWriter;

  constructor(credential: (FakeCredential & { hashHex: string }) | undefined, writer: InMemoryQueueWriter) {
    this.credential = credential;
    this.writer = writer;
  }

  /** The RPC method names, in the order the Worker called them. */
  get methods(): Array<keyof Gate> {
    return this.calls.map((call) => call.method);
  }

  async admit(request: AdmitRequest): Promise<AdmitDecision> {
    this.calls.push({ method: 'admit', request });
    return this.admission(request);
  }

  async admitAndEnqueue(request: AdmitRequest, draft: MessageDraft): Promise<IngestDecision> {
    this.calls.push({ method: 'admitAndEnqueue', request });
    const decision = this.admission(request);
    if (decision.kind !== 'proceed') return decision;
    return { ...(await this.store(completeMessage(draft, decision.principal))), rateLimit: decision.rateLimit };
  }

  async admitDelivery(request: DeliveryAdmitRequest): Promise<IngestDecision> {
    this.calls.push({ method: 'admitDelivery', request: request as AdmitRequest });
    return this.refuseSignature();
  }

  async enqueue(message: DeadlinedMessage): Promise<EnqueueOutcome> {
    this.calls.push({ method: 'enqueue', message });
    return this.store(message);
  }

  async bodyLimit(request: AdmitRequest): Promise<{ kind: 'limit'; bytes: number } | Reject> {
    this.calls.push({ method: 'bodyLimit', request });
    return this.authenticate(request) ?? { kind: 'limit', bytes: MAX_BODY_BYTES };
  }

  async release(key: string): Promise<void> {
    this.calls.push({ method: 'release', key });
    if (this.keys.get(key)?.body === undefined) this.keys.delete(key);
  }

  async messageStatus(request: AdmitRequest, messageId: string): Promise<StatusDecision> {
    this.calls.push({ method: 'messageStatus', request, messageId });
    const refused = this.authenticate(request) ?? this.rejectAdmission;
    if (refused !== undefined) return refused;
    const rateLimit = { ...RATE_LIMIT };
    const principal = this.principal();
    const message = this.writer.stored.find(
      (m) => isMessageId(messageId) && m.messageId === messageId && m.tenantId === principal.tenantId && m.idempotencyScope === principal.idempotencyScope,
    );
    if (message === undefined) return { kind: 'not_found', rateLimit };
    const landing = this.writer.landings.get(messageId);
    const accepted = 'tables' in message.receipt ? message.receipt.tables : [{ table: message.targetTable ?? '', rows: message.rowCount }];
    const status = {
      message_id: messageId,
      state: landing === undefined ? ('queued' as const) : ('landed' as const),
      accepted,
      landed: landing?.landed ?? null,
      received_at: '2026-01-01T00:00:00.000Z',
      landed_at: landing?.landedAt ?? null,
      attempts: landing === undefined ? 0 : 1,
      dead: null,
    };
    return { kind: 'found', status, rateLimit };
  }

  /** Watches the writer's `landings` (what a processor landed) until the message is there or the wait ran out. */
  async awaitLanding(messageId: string, waitMs: number): Promise<LandingOutcome> {
    this.calls.push({ method: 'awaitLanding', messageId });
    const until = Date.now() + Math.min(waitMs, MAX_WAIT_SECONDS * 1000);
    for (;;) {
      const landing = this.writer.landings.get(messageId);
      if (landing !== undefined) return { kind: 'landed', ...landing };
      if (Date.now() >= until) return { kind: 'timeout' };
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, until - Date.now())));
    }
  }

  private authenticate(request: AdmitRequest): Reject | undefined {
    const credential = this.credential;
    const tenantOk =
      request.tenantClaim === undefined ||
      (request.tenantClaim === null ? credential?.verifyPreset !== undefined : request.tenantClaim === credential?.tenantId);
    if (credential === undefined || credential.hashHex !== request.hashHex || credential.kind !== request.kind || !tenantOk) {
      return { kind: 'reject', code: 'unauthorized', message: UNAUTHORIZED_MESSAGE };
    }
    return undefined;
  }

  private admission(request: AdmitRequest): AdmitDecision {
    const refused = this.authenticate(request);
    if (refused !== undefined) return refused;
    const credential = this.credential!;
    if (credential.verifyPreset !== undefined) {
      if (request.signature === undefined) {
        return { kind: 'reject', code: 'signature_missing', message: 'Only signed deliveries.', signatureRequired: true };
      }
      return this.refuseSignature();
    }
    if (this.rejectAdmission !== undefined) return this.rejectAdmission;
    const rateLimit = { ...RATE_LIMIT };
    if (request.sourceClaim !== undefined && request.sourceClaim !== credential.sourceId) {
      return { kind: 'reject', code: 'source_not_allowed', message: "Not this key's source.", rateLimit };
    }
    if (request.idempotency !== undefined) {
      const { key, requestHash } = request.idempotency;
      const known = this.keys.get(key);
      if (known !== undefined && known.requestHash !== requestHash) {
        return { kind: 'reject', code: 'idempotency_key_reused', message: 'Key reused.', rateLimit };
      }
      if (known?.body !== undefined) return { kind: 'replay', response: { status: 202, body: known.body }, rateLimit };
      if (known !== undefined) return { kind: 'reject', code: 'idempotency_request_in_flight', message: 'In flight.', rateLimit };
      this.keys.set(key, { requestHash });
    }
    return { kind: 'proceed', principal: this.principal(), rateLimit };
  }

  private principal(): Principal {
    const credential = this.credential!;
    return {
      tenantId: credential.tenantId,
      connectionId: credential.kind === 'ingest' ? `connection-of-${credential.tenantId}` : null,
      apiKeyId: credential.kind === 'ingest' ? null : `key-of-${credential.tenantId}`,
      idempotencyScope: `scope-of-${credential.tenantId}`,
      defaultTable: credential.defaultTable ?? null,
      verifyPreset: credential.verifyPreset ?? null,
      deadlineAt: Date.now() + 15_000,
    };
  }

  private async store(deadlined: DeadlinedMessage): Promise<EnqueueOutcome> {
    const { deadlineAt: _deadline, ...message } = deadlined;
    const key = message.idempotencyKey;
    try {
      const [result] = await this.writer.enqueueBatch([message]);
      if (result?.kind === 'duplicate' && result.requestSha256Hex !== message.requestSha256Hex) {
        if (key !== null) this.keys.delete(key);
        return { kind: 'reject', code: 'idempotency_key_reused', message: 'Key reused.' };
      }
      const body = JSON.stringify(result?.kind === 'duplicate' ? result.receipt : message.receipt);
      if (key !== null) this.keys.set(key, { requestHash: message.requestSha256Hex!, body });
      return { kind: 'stored', body, replayed: result?.kind === 'duplicate' };
    } catch {
      if (key !== null) this.keys.delete(key);
      return { kind: 'reject', code: 'database_unavailable', message: 'Postgres is down.', retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS };
    }
  }

  private refuseSignature(): Reject {
    return { kind: 'reject', code: 'signature_invalid', message: 'This fake gate verifies no signature.', rateLimit: { ...RATE_LIMIT } };
  }
}

/** One gate per credential, as the Durable Object namespace gives: an unknown credential's gate knows no one. */
export class InMemoryGateDirectory implements GateDirectory {
  private readonly gates = new Map<string, InMemoryGate>();
  private readonly credentials = new Map<string, FakeCredential & { hashHex: string }>();
  private readonly writer: InMemoryQueueWriter;

  constructor(writer: InMemoryQueueWriter) {
    this.writer = writer;
  }

  async add(credential: FakeCredential): Promise<InMemoryGate> {
    const hashHex = await credentialDigest(credential.secret);
    this.credentials.set(`${credential.kind}:${hashHex}`, { ...credential, hashHex });
    return this.gateFor(credential.kind, hashHex);
  }

  gateFor(kind: CredentialKind, hashHex: string): InMemoryGate {
    const name = `${kind}:${hashHex}`;
    let gate = this.gates.get(name);
    if (gate === undefined) {
      gate = new InMemoryGate(this.credentials.get(name), this.writer);
      this.gates.set(name, gate);
    }
    return gate;
  }

  /** Every call any gate received, gate by gate. */
  get calls(): GateCall[] {
    return [...this.gates.values()].flatMap((gate) => gate.calls);
  }
}
