// The processor's side of boitata_inbound_queue: claim with an expiring lease, heartbeat, acknowledge, retry, dead-letter.
import type pg from 'pg';
import type { StoredMessage } from '../normalize/normalize-message.ts';

// Claims the oldest available messages. A claimed message's available_at moves to the end of its lease, so
// when a processor dies its messages become claimable again once the lease expires; SKIP LOCKED lets
// several processors claim side by side without waiting on or double-taking each other's rows.
export const CLAIM_BATCH_SQL = `
WITH next AS (
  SELECT id FROM boitata_inbound_queue
   WHERE status IN ('pending', 'processing') AND available_at <= clock_timestamp()
     AND ($4::text[] IS NULL OR tenant_id = ANY($4::text[]))
   ORDER BY available_at, id
   LIMIT $1
   FOR UPDATE SKIP LOCKED
)
UPDATE boitata_inbound_queue q
   SET status = 'processing', lease_owner = $2, attempts = q.attempts + 1,
       lease_expires_at = clock_timestamp() + make_interval(secs => $3),
       available_at = clock_timestamp() + make_interval(secs => $3)
  FROM next
 WHERE q.id = next.id
RETURNING q.id::text AS queue_id, q.message_id::text, q.tenant_id, q.endpoint, q.payload_format, q.target_table,
          q.item_key, q.payload, to_char(q.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          q.attempts, q.failures`;

// Extends the lease of the messages this processor still holds; returns the ids it still holds.
const HEARTBEAT_SQL = `
UPDATE boitata_inbound_queue
   SET lease_expires_at = clock_timestamp() + make_interval(secs => $3),
       available_at = clock_timestamp() + make_interval(secs => $3)
 WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'processing'
RETURNING id::text`;

const ACK_SQL = `
UPDATE boitata_inbound_queue
   SET status = 'done', processed_at = clock_timestamp(), lease_owner = NULL, lease_expires_at = NULL, last_error = NULL
 WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'processing'`;

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
  payload: unknown;
  received_at: string;
  attempts: number;
  failures: number;
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

  async claimBatch(limit: number): Promise<StoredMessage[]> {
    const { rows } = await this.pool.query<ClaimedRow>(CLAIM_BATCH_SQL, [limit, this.owner, this.leaseSeconds, this.tenants]);
    return rows
      .map((row) => ({
        queueId: row.queue_id,
        messageId: row.message_id,
        tenantId: row.tenant_id,
        endpoint: row.endpoint,
        payloadFormat: row.payload_format,
        targetTable: row.target_table,
        itemKey: row.item_key,
        payload: row.payload,
        receivedAt: row.received_at,
        attempts: row.attempts,
        failures: row.failures,
      }))
      .sort((a, b) => (BigInt(a.queueId) < BigInt(b.queueId) ? -1 : 1));
  }

  /** Extends the lease; returns the queue ids this processor still holds (a lost one must not be written). */
  async heartbeat(queueIds: readonly string[]): Promise<Set<string>> {
    if (queueIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ id: string }>(HEARTBEAT_SQL, [queueIds, this.owner, this.leaseSeconds]);
    return new Set(rows.map((row) => row.id));
  }

  async acknowledge(queueIds: readonly string[]): Promise<void> {
    if (queueIds.length > 0) await this.pool.query(ACK_SQL, [queueIds, this.owner]);
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
