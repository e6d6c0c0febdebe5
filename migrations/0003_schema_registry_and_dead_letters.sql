-- The processor's state: the schema registry (what each tenant's warehouse tables hold, and how they
-- got there) and the dead letters (messages that can never load, kept with the reason).

-- One row per tenant table. `table_name` is the logical name (lowercased: the warehouse folds case);
-- `warehouse_schema`/`warehouse_table` are where it lives (one warehouse schema per tenant).
CREATE TABLE boitata_tables (
  tenant_id         text NOT NULL REFERENCES boitata_tenants (id),
  table_name        text NOT NULL CHECK (table_name = lower(table_name)),
  warehouse_schema  text NOT NULL,
  warehouse_table   text NOT NULL,
  schema_version    integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  last_loaded_at    timestamptz,
  PRIMARY KEY (tenant_id, table_name),
  UNIQUE (warehouse_schema, warehouse_table)
);

-- One row per column: the logical name senders use (`location.city`) and the physical one in the warehouse.
CREATE TABLE boitata_columns (
  tenant_id         text NOT NULL,
  table_name        text NOT NULL,
  logical_name      text NOT NULL,
  physical_name     text NOT NULL,
  data_type         text NOT NULL,
  -- 'payload' (from senders), 'adopted' (found in a table created outside Boitatá)
  origin            text NOT NULL DEFAULT 'payload' CHECK (origin IN ('payload', 'adopted')),
  first_seen_at     timestamptz NOT NULL DEFAULT now(),
  first_message_id  uuid,
  added_in_version  integer NOT NULL,
  PRIMARY KEY (tenant_id, table_name, logical_name),
  UNIQUE (tenant_id, table_name, physical_name),
  FOREIGN KEY (tenant_id, table_name) REFERENCES boitata_tables (tenant_id, table_name) ON DELETE CASCADE
);

-- The history: every change to a table's physical schema, as the list of changes applied.
CREATE TABLE boitata_schema_versions (
  tenant_id    text NOT NULL,
  table_name   text NOT NULL,
  version      integer NOT NULL,
  changes      jsonb NOT NULL,
  message_id   uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, table_name, version),
  FOREIGN KEY (tenant_id, table_name) REFERENCES boitata_tables (tenant_id, table_name) ON DELETE CASCADE
);

-- Messages that can never load. The queue row stays (status 'dead'); replay sets it back to pending.
CREATE TABLE boitata_dead_letters (
  id           bigserial PRIMARY KEY,
  queue_id     bigint NOT NULL REFERENCES boitata_inbound_queue (id) ON DELETE CASCADE,
  message_id   uuid NOT NULL,
  tenant_id    text NOT NULL,
  error_code   text NOT NULL,
  reason       text NOT NULL,
  attempts     integer NOT NULL,
  dead_at      timestamptz NOT NULL DEFAULT now(),
  replayed_at  timestamptz
);
CREATE INDEX boitata_dead_letters_open ON boitata_dead_letters (tenant_id, dead_at) WHERE replayed_at IS NULL;

-- Failed claims that count towards the processor's PROCESSOR_MAX_ATTEMPTS (Trino being unreachable does not);
-- `attempts` counts every claim, and a message claimed more than once is checked against its tables.
ALTER TABLE boitata_inbound_queue ADD COLUMN failures integer NOT NULL DEFAULT 0;
