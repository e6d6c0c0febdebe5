-- Tenants, connections (ingest tokens) and API keys. Secrets are stored only as SHA-256 hashes plus a short prefix.

CREATE TABLE boitata_tenants (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A connection is one sender integration: its ingest token authenticates both
-- POST /v1/ingest/push/{token} and POST /api/webhook/{stream}.
CREATE TABLE boitata_connections (
  id                     uuid PRIMARY KEY,
  tenant_id              text NOT NULL REFERENCES boitata_tenants (id),
  name                   text NOT NULL,
  default_table          text,
  token_hash             bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  token_prefix           text NOT NULL,
  rate_limit_per_minute  integer NOT NULL DEFAULT 300 CHECK (rate_limit_per_minute > 0),
  created_at             timestamptz NOT NULL DEFAULT now(),
  revoked_at             timestamptz,
  UNIQUE (tenant_id, name)
);

-- An empty allowlist means every address may push.
CREATE TABLE boitata_connection_allowed_ips (
  connection_id  uuid NOT NULL REFERENCES boitata_connections (id) ON DELETE CASCADE,
  cidr           cidr NOT NULL,
  PRIMARY KEY (connection_id, cidr)
);

-- Metrics Bearer keys and source X-API-Keys. A rotation creates a new key in the same
-- lineage and gives the old one an expiry, so both work during the overlap window.
CREATE TABLE boitata_api_keys (
  id                     uuid PRIMARY KEY,
  lineage_id             uuid NOT NULL,
  tenant_id              text NOT NULL REFERENCES boitata_tenants (id),
  kind                   text NOT NULL CHECK (kind IN ('metrics', 'source')),
  source_id              text,
  key_hash               bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
  key_prefix             text NOT NULL,
  rate_limit_per_minute  integer NOT NULL DEFAULT 300 CHECK (rate_limit_per_minute > 0),
  created_at             timestamptz NOT NULL DEFAULT now(),
  expires_at             timestamptz,
  revoked_at             timestamptz,
  CHECK ((kind = 'source') = (source_id IS NOT NULL))
);
CREATE INDEX boitata_api_keys_lineage ON boitata_api_keys (lineage_id);
