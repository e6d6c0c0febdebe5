// The processor's side of boitata_inbound_queue: claim with an expiring lease, heartbeat, acknowledge, retry, dead-letter.
import type pg from 'pg';
import type { StoredMessage } from './stored-message.ts';
import type { TableReceipt } from '../../shared/queue-message.ts';
import { parsePayload } from '../normalize/parse-payload.ts';
import { readProvenance } from '../normalize/read-provenance.ts';
import { CLAIM_FAIR_SQL, CLAIM_SUSPECT_SQL, DEAD_LETTER_CRASHED_SQL, PAYLOAD_TEXT_BYTES_SQL, SUSPECT_WAITING_SQL } from './claim-sql.ts';

// Extends the lease of the messages this processor still holds; returns the ids it still holds.
const HEARTBEAT_SQL = `
UPDATE boitata_inbound_queue
   SET lease_expires_at = statement_timestamp() + make_interval(secs => $3),
       available_at = statement_timestamp() + make_interval(secs => $3)
 WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'processing'
RETURNING id::text`;

// $3: each message's landed tables as JSON text, in the order of $1 (NULL where not known).
const ACK_SQL = `
UPDATE boitata_inbound_queue q
   SET status = 'done', processed_at = clock_timestamp(), lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
       landed = a.landed::jsonb, redrive = false
  FROM unnest($1::bigint[], $3::text[]) AS a(id, landed)
 WHERE q.id = a.id AND q.lease_owner = $2 AND q.status = 'processing'`;

// Back to pending after a transient failure, available again after the backoff.
const RETRY_SQL = `
UPDATE boitata_inbound_queue
   SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, last_error = $3,
       failures = failures + CASE WHEN $5 THEN 1 ELSE 0 END,
       available_at = clock_timestamp() + make_interval(secs => $4)
 WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'processing'`;

// Available again at once: a graceful shutdown that did not finish the batch. The attempt still counts, so
// the next claim checks the table for rows that may have landed.
const RELEASE_SQL = `
UPDATE boitata_inbound_queue
   SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
       available_at = clock_timestamp()
 WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'processing'`;

const DEAD_LETTER_SQL = `
WITH dead AS (
  UPDATE boitata_inbound_queue
     SET status = 'dead', lease_owner = NULL, lease_expires_at = NULL, last_error = $4, processed_at = clock_timestamp()
   WHERE id = $1::bigint AND lease_owner = $2 AND status = 'processing'
  RETURNING id, message_id, tenant_id, attempts
)
INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts)
SELECT id, message_id, tenant_id, $3, $4, attempts FROM dead`;

interface ClaimedRow {
  queue_id: string;
  message_id: string;
  tenant_id: string;
  endpoint: StoredMessage['endpoint'];
  payload_format: StoredMessage['payloadFormat'];
  target_table: string | null;
  item_key: string | null;
  received_at: string;
  attempts: number;
  failures: number;
  redrive: boolean;
  erased: boolean;
  credential: string;
  source_id: string | null;
  /** the jsonb as node-postgres parses it; read defensively (readProvenance) */
  provenance: unknown;
  payload_text: string | null;
}

/** What one claim may take (see CLAIM_FAIR_SQL). */
export interface ClaimLimits {
  messages: number;
  rows: number;
  /** bytes of stored JSON, as the edge measured them (payload_bytes) or, from an older edge, as stored */
  bytes: number;
  /** rows a tenant may have in flight, across processors, before it gets no further claim */
  tenantInFlightRows: number;
  /** the largest JSON text one message may read back as; a larger one is dead-lettered (message_too_large) */
  messageTextBytes: number;
}

/** The processor's defaults (PROCESSOR_BATCH_MAX_ROWS, …): the README's configuration reference lists them. */
export const DEFAULT_CLAIM_LIMITS: Omit<ClaimLimits, 'messages'> = {
  rows: 20_000,
  bytes: 8 * 1024 * 1024,
  tenantInFlightRows: 40_000,
  messageTextBytes: 16 * 1024 * 1024,
};

/** A claimed batch: the messages to land, and those dead-lettered on the way (crashed, or too large to read). */
export interface ClaimedBatch {
  messages: StoredMessage[];
  deadLettered: Array<{ queueId: string; code: string; reason: string }>;
  /** a message claimed alone to isolate a crash: nothing else may be in hand in this process while it runs */
  alone: boolean;
}

export class QueueStore {
  private readonly pool: pg.Pool;
  private readonly owner: string;
  private readonly leaseSeconds: number;
  private readonly tenants: readonly string[] | null;

  /** `tenants`: claim only these tenants' messages (a dedicated processor); null claims every tenant's. */
  constructor(pool: pg.Pool, owner: string, leaseSeconds: number, tenants: readonly string[] | null = null) {
    this.pool = pool;
    this.owner = owner;
    this.leaseSeconds = leaseSeconds;
    this.tenants = tenants;
  }

  /**
   * One claim: first dead-letter the messages whose solo claims died twice, then a message whose leases ran out
   * twice (alone), else a fair batch. A message whose text is too large to read comes back dead-lettered.
   * `mayIsolate`: this process has nothing else in hand, so a message claimed alone can only take itself down when it
   * crashes it; otherwise, while such a message waits, nothing is claimed (the batches in hand finish first).
   */
  async claimBatch(limits: ClaimLimits, options: { mayIsolate: boolean } = { mayIsolate: true }): Promise<ClaimedBatch> {
    const deadLettered: ClaimedBatch['deadLettered'] = [];
    const crashed = await this.pool.query<{ queue_id: string }>(DEAD_LETTER_CRASHED_SQL, [this.tenants]);
    for (const row of crashed.rows)
      deadLettered.push({
        queueId: row.queue_id,
        code: 'processing_crashed',
        reason: 'the processor died or hung twice while this message was alone in its batch',
      });
    const common = [this.owner, this.leaseSeconds, this.tenants, limits.messageTextBytes];
    let rows: ClaimedRow[] = [];
    let alone = false;
    if (options.mayIsolate) {
      ({ rows } = await this.pool.query<ClaimedRow>(CLAIM_SUSPECT_SQL, [1, ...common]));
      alone = rows.length > 0;
    } else if ((await this.pool.query(SUSPECT_WAITING_SQL, [this.tenants])).rows.length > 0) {
      return { messages: [], deadLettered, alone: false };
    }
    if (!alone) {
      ({ rows } = await this.pool.query<ClaimedRow>(CLAIM_FAIR_SQL, [limits.messages, ...common, limits.rows, limits.bytes, limits.tenantInFlightRows]));
    }
    const messages: StoredMessage[] = [];
    for (const row of rows.sort((a, b) => (BigInt(a.queue_id) < BigInt(b.queue_id) ? -1 : 1))) {
      if (row.payload_text === null) {
        const {
          rows: [size],
        } = await this.pool.query<{ bytes: number }>(PAYLOAD_TEXT_BYTES_SQL, [row.queue_id]);
        const reason = `its stored JSON reads back as ${size?.bytes ?? 'more'} bytes, over the ${limits.messageTextBytes}-byte limit (numbers with large exponents are written out in full)`;
        await this.deadLetter(row.queue_id, 'message_too_large', reason);
        deadLettered.push({ queueId: row.queue_id, code: 'message_too_large', reason });
        continue;
      }
      messages.push({
        queueId: row.queue_id,
        messageId: row.message_id,
        tenantId: row.tenant_id,
        endpoint: row.endpoint,
        payloadFormat: row.payload_format,
        targetTable: row.target_table,
        itemKey: row.item_key,
        payload: parsePayload(row.payload_text),
        receivedAt: row.received_at,
        attempts: row.attempts,
        failures: row.failures,
        redrive: row.redrive,
        erased: row.erased,
        credential: row.credential,
        sourceId: row.source_id,
        provenance: readProvenance(row.provenance),
      });
    }
    return { messages, deadLettered, alone };
  }

  /** Extends the lease; returns the queue ids this processor still holds (a lost one must not be written). */
  async heartbeat(queueIds: readonly string[]): Promise<Set<string>> {
    if (queueIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ id: string }>(HEARTBEAT_SQL, [queueIds, this.owner, this.leaseSeconds]);
    return new Set(rows.map((row) => row.id));
  }

  /** Done: `landed` says what each landed, table by table (what its sender is shown). */
  async acknowledge(queueIds: readonly string[], landed?: ReadonlyMap<string, readonly TableReceipt[]>): Promise<void> {
    const tables = queueIds.map((id) => {
      const list = landed?.get(id);
      return list === undefined ? null : JSON.stringify(list);
    });
    if (queueIds.length > 0) await this.pool.query(ACK_SQL, [queueIds, this.owner, tables]);
  }

  /** `countsAsFailure`: false when the cause was not the messages' (Trino away, a lost lease). */
  async retryLater(queueIds: readonly string[], error: string, delaySeconds: number, countsAsFailure: boolean): Promise<void> {
    if (queueIds.length > 0) await this.pool.query(RETRY_SQL, [queueIds, this.owner, error, delaySeconds, countsAsFailure]);
  }

  async release(queueIds: readonly string[]): Promise<void> {
    if (queueIds.length > 0) await this.pool.query(RELEASE_SQL, [queueIds, this.owner]);
  }

  async deadLetter(queueId: string, code: string, reason: string): Promise<void> {
    await this.pool.query(DEAD_LETTER_SQL, [queueId, this.owner, code, reason]);
  }
}
