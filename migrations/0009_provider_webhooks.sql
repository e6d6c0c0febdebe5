-- Provider webhooks (issue 11): connections that verify a provider's signature, their signing secrets encrypted at
-- rest, provider provenance on queued messages. Deploy order: migrations first; an older edge or processor ignores
-- every column below (an older edge answers 401 to a provider's delivery, as before, and nothing is lost).

-- The signature scheme a connection verifies ('stripe', 'github', 'shopify', 'slack', 'standard-webhooks',
-- 'hmac-sha256'), or NULL for a plain connection (today's rules exactly).
ALTER TABLE boitata_connections ADD COLUMN verify_preset text
  CHECK (verify_preset IN ('stripe', 'github', 'shopify', 'slack', 'standard-webhooks', 'hmac-sha256'));
-- The generic preset's settings: {"header": "x-signature", "encoding": "hex"|"base64", "prefix": "sha256="}.
ALTER TABLE boitata_connections ADD COLUMN verify_options jsonb
  CHECK (coalesce(verify_preset = 'hmac-sha256', false) = (verify_options IS NOT NULL));
-- The largest signed delivery the connection accepts, in bytes; NULL is the default 1 MiB. At most 10 MiB (what a
-- delivery's path carries: the Worker's RPC to its gate, the processor's read-back; cli/verify-settings.ts).
ALTER TABLE boitata_connections ADD COLUMN max_body_bytes integer
  CHECK (max_body_bytes IS NULL OR max_body_bytes BETWEEN 1024 AND 10485760);

-- Signing secrets, AES-256-GCM encrypted with BOITATA_SECRETS_KEY (never stored in Postgres). `sealed` is the
-- 12-byte IV followed by the ciphertext and tag; the connection id is the additional authenticated data, so a
-- sealed secret copied to another connection does not open. A rotation gives the old secret an expiry (the overlap).
CREATE TABLE boitata_signing_secrets (
  id             uuid PRIMARY KEY,
  connection_id  uuid NOT NULL REFERENCES boitata_connections (id) ON DELETE CASCADE,
  -- which key sealed it: the first 16 hex digits of SHA-256 over the key (see shared/secret-box.ts)
  key_id         text NOT NULL,
  sealed         bytea NOT NULL CHECK (octet_length(sealed) > 28),
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz
);
CREATE INDEX boitata_signing_secrets_connection ON boitata_signing_secrets (connection_id);

-- What a verified provider delivery said about itself (provider, delivery id, event type, provider timestamp,
-- shop domain, hook id): the processor writes it into the reserved _boitata_* columns. NULL for other messages.
ALTER TABLE boitata_inbound_queue ADD COLUMN provenance jsonb;
