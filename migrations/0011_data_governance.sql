-- Data governance (issue 14): per-table and per-tenant policies (schema contract, retention), erasure receipts,
-- the operator audit trail, and receipts of deleted tenants.
-- Deploy order: migrate first; an older processor ignores the policies (every table evolves, nothing expires).

-- A table's policy, or the tenant's default (table_name = ''). NULL: inherit (table → tenant default → built-in:
-- contract 'evolve', no retention). A policy may name a table that does not exist yet (frozen before its first row).
CREATE TABLE boitata_policies (
  tenant_id          text NOT NULL REFERENCES boitata_tenants (id) ON DELETE CASCADE,
  table_name         text NOT NULL DEFAULT '' CHECK (table_name = lower(table_name)),
  contract           text CHECK (contract IN ('evolve', 'freeze', 'quarantine')),
  -- rows older than this (by _boitata_received_at) are deleted by maintenance; 0: kept for ever, set explicitly
  -- (`--retention none`, overrides the tenant default); NULL: no setting of its own (inherit)
  retention_seconds  bigint CHECK (retention_seconds IS NULL OR retention_seconds = 0 OR retention_seconds >= 3600),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  updated_by         text NOT NULL,
  PRIMARY KEY (tenant_id, table_name)
);

-- One row per operator action: who, when, what. Never a secret nor a personal value (erasures keep hashes).
-- No foreign key: the trail outlives what it talks about (a deleted tenant, a revoked key).
CREATE TABLE boitata_audit (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- the --requested-by text, else the OS user (CLI); the admin API's required `requested_by`
  actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 500),
  -- 'cli' or 'admin_api'
  via         text NOT NULL CHECK (via IN ('cli', 'admin_api')),
  -- e.g. 'connection.create', 'key.rotate', 'dead_letter.replay', 'policy.set', 'erasure', 'tenant.delete'
  action      text NOT NULL,
  tenant_id   text,
  -- what was acted on, and how (ids, counts, settings); never a secret nor plaintext personal data
  details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX boitata_audit_tenant_at ON boitata_audit (tenant_id, at);
CREATE INDEX boitata_audit_at ON boitata_audit (at);

-- Erasure receipts: what was asked (match keys as keyed hashes, never the plaintext), by whom, and what was removed
-- where. Kept after the tenant is deleted (no foreign key).
CREATE TABLE boitata_erasures (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL,
  requested_by  text NOT NULL,
  via           text NOT NULL CHECK (via IN ('cli', 'admin_api')),
  dry_run       boolean NOT NULL,
  -- [{"column": …, "hash": …}]
  match         jsonb NOT NULL,
  status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  -- counts per table and per store, and what could not be done (format-v1 tables, …)
  report        jsonb NOT NULL DEFAULT '{}',
  started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at   timestamptz,
  -- the processor running an admin API erasure (its PROCESSOR_ID or generated id; NULL for the CLI) and when it last
  -- said it still was: a processor's start fails a 'running' one only if it was its own or its heartbeat is stale
  processor_id  text,
  heartbeat_at  timestamptz
);
CREATE INDEX boitata_erasures_tenant ON boitata_erasures (tenant_id, started_at);

-- A deleted tenant's receipt: what was removed. Its id cannot be created again (its PII hash key derives from it).
CREATE TABLE boitata_deleted_tenants (
  id            text PRIMARY KEY,
  deleted_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  requested_by  text NOT NULL,
  report        jsonb NOT NULL
);

-- An erasure rewrote this payload (its subject's values are `boitata:erased:<hash>` markers): the loader skips the rows
-- that hold a marker. Only then: a sender's own text that looks like a marker is data like any other.
ALTER TABLE boitata_inbound_queue ADD COLUMN erased boolean NOT NULL DEFAULT false;

-- Retention of raw data outside the warehouse: dead queue rows (and their dead letters) are pruned too now, by when
-- they died, or arrived for those the edge stored dead on arrival (no processed_at): the expression the pruning
-- compares (processor/governance/retention-queue.ts), so its batches find their rows through this index.
CREATE INDEX boitata_inbound_queue_dead_settled ON boitata_inbound_queue ((COALESCE(processed_at, received_at))) WHERE status = 'dead';
-- Deleting a queue row deletes its dead letters (ON DELETE CASCADE), found by queue_id: without this index each
-- pruned row would scan the whole dead-letter table.
CREATE INDEX boitata_dead_letters_queue ON boitata_dead_letters (queue_id);
