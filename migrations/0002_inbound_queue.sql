-- The inbound queue: one row per accepted request, written by the edge before it answers 2xx,
-- drained by the processor in micro-batches (FOR UPDATE SKIP LOCKED + an expiring lease).

CREATE TABLE boitata_inbound_queue (
  id                 bigserial PRIMARY KEY,
  message_id         uuid NOT NULL UNIQUE,
  tenant_id          text NOT NULL REFERENCES boitata_tenants (id),
  connection_id      uuid REFERENCES boitata_connections (id),
  api_key_id         uuid REFERENCES boitata_api_keys (id),
  -- 'push' | 'webhook' | 'metrics' | 'event'
  endpoint           text NOT NULL CHECK (endpoint IN ('push', 'webhook', 'metrics', 'event')),
  -- how the edge read the body: 'array' | 'envelope' | 'multi_table' | 'object'
  payload_format     text NOT NULL CHECK (payload_format IN ('array', 'envelope', 'multi_table', 'object')),
  -- the table named outside the body (?table=, x-target-table, the webhook stream); NULL when the body names it
  target_table       text,
  -- the X-Item-Key field: rows with the same value upsert downstream
  item_key           text,
  payload            jsonb NOT NULL,
  row_count          integer NOT NULL CHECK (row_count > 0),
  -- the 2xx body the sender got; json (not jsonb) keeps its text, so a replay is byte-identical
  receipt            json NOT NULL,
  -- Idempotency: unique per scope (a connection, or an API key lineage so rotation keeps it)
  idempotency_scope  uuid NOT NULL,
  idempotency_key    text,
  -- what a repeated idempotency key is compared with; NULL when the request carried no key
  request_sha256     bytea CHECK ((request_sha256 IS NULL) = (idempotency_key IS NULL)),
  received_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- processing state, owned by the processor
  status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'dead')),
  attempts           integer NOT NULL DEFAULT 0,
  available_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  lease_owner        text,
  lease_expires_at   timestamptz,
  last_error         text,
  processed_at       timestamptz,
  CHECK ((connection_id IS NULL) <> (api_key_id IS NULL))
);

-- The durable idempotency backstop: even when a gate's cache is lost, a retried key inserts nothing.
-- Rows are kept (status 'done') for at least the 24 h idempotency window before the processor prunes them.
CREATE UNIQUE INDEX boitata_inbound_queue_idempotency
  ON boitata_inbound_queue (idempotency_scope, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- What the processor claims: the oldest available pending messages.
CREATE INDEX boitata_inbound_queue_claimable
  ON boitata_inbound_queue (available_at, id)
  WHERE status IN ('pending', 'processing');
