// The claim statements: fair across tenants, bounded by messages, rows and bytes, and isolating messages that crash.
//
// A claimed message's available_at moves to the end of its lease, so when a processor dies its messages become
// claimable again once the lease expires (status still 'processing'); such a re-claim counts a lease expiry.
// Parameters of both claims: $1 messages, $2 owner, $3 lease seconds, $4 tenant filter (NULL: every tenant), $5 the
// largest stored JSON text read back (a larger message comes back without it and is dead-lettered).

/**
 * What every claim returns: the message, whether it is re-driven, the credential the edge verified, a provider
 * delivery's provenance (NULL for other messages), and its text when not too large.
 */
const RETURNING = `
RETURNING q.id::text AS queue_id, q.message_id::text, q.tenant_id, q.endpoint, q.payload_format, q.target_table,
          q.item_key, to_char(q.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          q.attempts, q.failures, q.redrive, q.erased,
          CASE WHEN q.connection_id IS NOT NULL THEN 'connection:' || q.connection_id ELSE 'api_key:' || q.api_key_id END AS credential,
          (SELECT k.source_id FROM boitata_api_keys k WHERE k.id = q.api_key_id) AS source_id, q.provenance,
          (SELECT CASE WHEN octet_length(t.text) <= $5 THEN t.text END FROM (SELECT q.payload::text AS text) t) AS payload_text`;

/** How long a message's JSON reads back: asked only for one the claim left unread (rare), for its dead-letter reason. */
export const PAYLOAD_TEXT_BYTES_SQL = `SELECT octet_length(payload::text) AS bytes FROM boitata_inbound_queue WHERE id = $1::bigint`;

/** Counts the expiry of the lease a re-claimed message still carried ('processing' with its lease run out). */
// One lease end for every message of a claim (statement_timestamp, not clock_timestamp, which moves row by row in
// the order the UPDATE happens to visit them): messages whose leases ran out together are then claimed again
// oldest first, by id (ORDER BY available_at, id).
const CLAIM_SET = `
   SET status = 'processing', lease_owner = $2, attempts = q.attempts + 1,
       lease_expiries = q.lease_expiries + (q.status = 'processing')::int,
       solo_lease_expiries = q.solo_lease_expiries + (q.status = 'processing' AND q.claimed_alone)::int,
       lease_expires_at = statement_timestamp() + make_interval(secs => $3),
       available_at = statement_timestamp() + make_interval(secs => $3)`;

/**
 * A message whose lease ran out while it was alone in its batch, for the second time: its processing kills the
 * processor (or hangs it past the lease), so it is dead-lettered as `processing_crashed` instead of claimed again.
 * $1: the tenant filter.
 */
export const DEAD_LETTER_CRASHED_SQL = `
WITH crashed AS (
  SELECT id FROM boitata_inbound_queue
   WHERE status = 'processing' AND claimed_alone AND solo_lease_expiries >= 1 AND available_at <= clock_timestamp()
     AND ($1::text[] IS NULL OR tenant_id = ANY($1::text[]))
   ORDER BY available_at, id
   LIMIT 100
   FOR UPDATE SKIP LOCKED
), dead AS (
  UPDATE boitata_inbound_queue q
     SET status = 'dead', lease_owner = NULL, lease_expires_at = NULL, processed_at = clock_timestamp(),
         lease_expiries = q.lease_expiries + 1, solo_lease_expiries = q.solo_lease_expiries + 1,
         last_error = 'processing_crashed: the processor died or hung past its lease twice while this message was alone in its batch'
    FROM crashed
   WHERE q.id = crashed.id
  RETURNING q.id, q.message_id, q.tenant_id, q.attempts, q.last_error
)
INSERT INTO boitata_dead_letters (queue_id, message_id, tenant_id, error_code, reason, attempts)
SELECT id, message_id, tenant_id, 'processing_crashed', last_error, attempts FROM dead
RETURNING queue_id::text`;

/** Whether a message waits to be claimed alone (see CLAIM_SUSPECT_SQL); $1: the tenant filter. */
export const SUSPECT_WAITING_SQL = `
SELECT 1 FROM boitata_inbound_queue
 WHERE status IN ('pending', 'processing') AND available_at <= clock_timestamp()
   AND (status = 'processing' OR lease_expiries > 0)
   AND lease_expiries + (status = 'processing')::int >= 2
   AND ($1::text[] IS NULL OR tenant_id = ANY($1::text[]))
 LIMIT 1`;

/**
 * A message whose batches' leases ran out twice is claimed alone: if it is the one that kills the processor, only
 * it is retried and then dead-lettered; the messages that merely shared a batch with it land on their next claim.
 */
export const CLAIM_SUSPECT_SQL = `
WITH next AS (
  SELECT id FROM boitata_inbound_queue
   WHERE status IN ('pending', 'processing') AND available_at <= clock_timestamp()
     AND (status = 'processing' OR lease_expiries > 0)
     AND lease_expiries + (status = 'processing')::int >= 2
     AND ($4::text[] IS NULL OR tenant_id = ANY($4::text[]))
   ORDER BY available_at, id
   LIMIT $1
   FOR UPDATE SKIP LOCKED
)
UPDATE boitata_inbound_queue q ${CLAIM_SET}, claimed_alone = true
  FROM next
 WHERE q.id = next.id
${RETURNING}`;

/**
 * The fair claim. Each tenant's oldest claimable messages are taken in turns (every tenant's first, then every
 * tenant's second, …), so one tenant's backlog never stands in front of another's messages. The batch stops at $1
 * messages, $6 rows and $7 bytes of stored JSON (its first message is always taken, so one larger than the caps is
 * claimed alone). A tenant's messages already in flight (any processor, lease running) count against $8 rows: a
 * tenant whose large batch is still being written gets no second one, so the other lanes serve the other tenants.
 * Candidates are read without locks; the lock step skips rows another claim took in the meantime.
 */
export const CLAIM_FAIR_SQL = `
WITH tenants AS (
  SELECT id FROM boitata_tenants WHERE $4::text[] IS NULL OR id = ANY($4::text[])
), in_flight AS (
  SELECT tenant_id, sum(row_count) AS rows
    FROM boitata_inbound_queue
   WHERE status = 'processing' AND available_at > clock_timestamp()
   GROUP BY tenant_id
), candidates AS (
  SELECT c.id, c.available_at, c.row_count, c.bytes, coalesce(f.rows, 0) AS in_flight_rows,
         row_number() OVER tenant_turns AS turn,
         sum(c.row_count) OVER tenant_turns AS tenant_rows
    FROM tenants t
    CROSS JOIN LATERAL (
      SELECT q.id, q.tenant_id, q.available_at, q.row_count,
             coalesce(q.payload_bytes, pg_column_size(q.payload)) AS bytes
        FROM boitata_inbound_queue q
       WHERE q.tenant_id = t.id AND q.status IN ('pending', 'processing') AND q.available_at <= clock_timestamp()
         AND q.lease_expiries + (q.status = 'processing')::int < 2
       ORDER BY q.available_at, q.id
       LIMIT $1
    ) c
    LEFT JOIN in_flight f ON f.tenant_id = c.tenant_id
  WINDOW tenant_turns AS (PARTITION BY c.tenant_id ORDER BY c.available_at, c.id)
), admitted AS (
  SELECT * FROM candidates WHERE (in_flight_rows = 0 AND turn = 1) OR in_flight_rows + tenant_rows <= $8
), ordered AS (
  SELECT id, row_number() OVER turns AS n, sum(row_count) OVER turns AS total_rows, sum(bytes) OVER turns AS total_bytes
    FROM admitted
  WINDOW turns AS (ORDER BY turn, available_at, id)
), locked AS (
  SELECT q.id FROM boitata_inbound_queue q
   WHERE q.id IN (SELECT id FROM ordered WHERE n = 1 OR (n <= $1 AND total_rows <= $6 AND total_bytes <= $7))
     AND q.status IN ('pending', 'processing') AND q.available_at <= clock_timestamp()
   FOR UPDATE SKIP LOCKED
)
UPDATE boitata_inbound_queue q ${CLAIM_SET}, claimed_alone = false
  FROM locked
 WHERE q.id = locked.id
${RETURNING}`;
