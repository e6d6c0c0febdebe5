-- The self-learning schema: aliases (a field name mapped onto an existing column, and who decided it), the
-- catalog (descriptions, tags, PII flags), the model's answers (never ask twice), its budget, and the
-- Postgres-backed jobs the processor works in the background (catalog enrichment, hashing PII in place).

CREATE TABLE boitata_aliases (
  tenant_id      text NOT NULL,
  table_name     text NOT NULL,
  alias          text NOT NULL,
  column_name    text NOT NULL,
  -- 'typo' (Levenshtein), 'dictionary' (built-in synonyms), 'model' (the AI matcher)
  decided_by     text NOT NULL CHECK (decided_by IN ('typo', 'dictionary', 'model')),
  -- distance, dictionary group, or model + confidence
  evidence       jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, table_name, alias),
  FOREIGN KEY (tenant_id, table_name, column_name) REFERENCES boitata_columns (tenant_id, table_name, logical_name) ON DELETE CASCADE
);

ALTER TABLE boitata_columns
  ADD COLUMN description  text,
  ADD COLUMN tags         text[] NOT NULL DEFAULT '{}',
  ADD COLUMN pii          boolean NOT NULL DEFAULT false,
  -- 'name' or 'values' (deterministic detection), 'model' (enrichment), NULL when not PII
  ADD COLUMN pii_source   text,
  ADD COLUMN enriched_at  timestamptz;

-- One answer per question: the same (table, fields, columns) is never sent to the model twice.
CREATE TABLE boitata_model_answers (
  tenant_id     text NOT NULL,
  table_name    text NOT NULL,
  question_key  text NOT NULL,
  answer        jsonb NOT NULL,
  model         text NOT NULL,
  asked_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, table_name, question_key)
);

-- Calls to the model per tenant and day, against AI_MAX_CALLS_PER_TENANT_PER_DAY.
CREATE TABLE boitata_model_usage (
  tenant_id  text NOT NULL,
  day        date NOT NULL,
  calls      integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day)
);

CREATE TABLE boitata_jobs (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('enrich_columns', 'hash_pii_column')),
  tenant_id   text NOT NULL,
  table_name  text NOT NULL,
  payload     jsonb NOT NULL,
  status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts    integer NOT NULL DEFAULT 0,
  run_at      timestamptz NOT NULL DEFAULT now(),
  lease_expires_at timestamptz,
  last_error  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  done_at     timestamptz
);
CREATE INDEX boitata_jobs_runnable ON boitata_jobs (run_at, id) WHERE status IN ('pending', 'running');

-- A key the processor generates when PII_HASH_KEY is not set (development); production sets PII_HASH_KEY.
CREATE TABLE boitata_settings (
  name   text PRIMARY KEY,
  value  text NOT NULL
);

-- Aliases an operator undid (`boitata aliases remove`): the resolver never proposes that pair again.
CREATE TABLE boitata_alias_rejections (
  tenant_id    text NOT NULL,
  table_name   text NOT NULL,
  alias        text NOT NULL,
  column_name  text NOT NULL,
  rejected_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, table_name, alias, column_name)
);
