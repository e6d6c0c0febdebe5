// Loads what a gate needs to know about one credential (tenant, limits, allowed IPs, revocation, how it verifies
// signatures) from Postgres.
import type { CredentialKind } from '../../shared/credential-format.ts';
import type { GenericHmacOptions, VerifyPreset } from '../../shared/webhooks/presets.ts';
import type { QueryOptions, SqlClient } from '../db/sql-client.ts';

/** A connection's signing secret as Postgres holds it: sealed with BOITATA_SECRETS_KEY (shared/secret-box.ts). */
export interface SealedSecret {
  keyId: string;
  sealed: Uint8Array;
  /** Epoch ms after which it no longer verifies (the old secret of a rotation), or null. */
  expiresAt: number | null;
}

/** How a connection verifies provider signatures; null for a plain connection. */
export interface Verification {
  preset: VerifyPreset;
  options: GenericHmacOptions | null;
  secrets: SealedSecret[];
}

export interface CredentialConfig {
  tenantId: string;
  connectionId: string | null;
  apiKeyId: string | null;
  /** Idempotency keys are unique per scope: the connection, or the API key's lineage (so rotation keeps them). */
  idempotencyScope: string;
  sourceId: string | null;
  defaultTable: string | null;
  rateLimitPerMinute: number;
  allowedCidrs: string[];
  revoked: boolean;
  /** Epoch ms after which the credential stops working (the old key of a rotation), or null. */
  expiresAt: number | null;
  storedHashHex: string;
  verification: Verification | null;
  /** The largest body a signed delivery may have (the connection's max_body_bytes), or null for the 1 MiB default. */
  maxBodyBytes: number | null;
}

const CONNECTION_BY_TOKEN_HASH = `
  SELECT c.id, c.tenant_id, c.default_table, c.rate_limit_per_minute,
         c.revoked_at IS NOT NULL AS revoked, encode(c.token_hash, 'hex') AS hash,
         coalesce((SELECT json_agg(a.cidr::text) FROM boitata_connection_allowed_ips a WHERE a.connection_id = c.id), '[]') AS allowed,
         c.verify_preset, c.verify_options, c.max_body_bytes,
         coalesce((SELECT json_agg(json_build_object(
                     'key_id', s.key_id, 'sealed', encode(s.sealed, 'base64'),
                     'expires_ms', (extract(epoch FROM s.expires_at) * 1000)::bigint) ORDER BY s.created_at DESC)
                     FROM boitata_signing_secrets s
                    WHERE s.connection_id = c.id AND (s.expires_at IS NULL OR s.expires_at > now())), '[]') AS secrets
    FROM boitata_connections c
   WHERE c.token_hash = decode($1, 'hex')`;

const API_KEY_BY_HASH = `
  SELECT k.id, k.lineage_id, k.tenant_id, k.source_id, k.rate_limit_per_minute,
         k.revoked_at IS NOT NULL AS revoked, (extract(epoch FROM k.expires_at) * 1000)::bigint AS expires_ms,
         encode(k.key_hash, 'hex') AS hash
    FROM boitata_api_keys k
   WHERE k.key_hash = decode($1, 'hex') AND k.kind = $2`;

interface ConnectionRow {
  id: string;
  tenant_id: string;
  default_table: string | null;
  rate_limit_per_minute: number;
  revoked: boolean;
  hash: string;
  allowed: string[];
  verify_preset: VerifyPreset | null;
  verify_options: GenericHmacOptions | null;
  max_body_bytes: number | null;
  secrets: Array<{ key_id: string; sealed: string; expires_ms: number | null }>;
}

interface ApiKeyRow {
  id: string;
  lineage_id: string;
  tenant_id: string;
  source_id: string | null;
  rate_limit_per_minute: number;
  revoked: boolean;
  expires_ms: string | null;
  hash: string;
}

/** Returns null when no credential has this hash. Throws `database_unavailable` when Postgres cannot answer. */
export async function loadCredentialConfig(sql: SqlClient, kind: CredentialKind, hashHex: string, options?: QueryOptions): Promise<CredentialConfig | null> {
  if (kind === 'ingest') {
    const [row] = await sql.query<ConnectionRow>(CONNECTION_BY_TOKEN_HASH, [hashHex], options);
    if (row === undefined) return null;
    return {
      tenantId: row.tenant_id,
      connectionId: row.id,
      apiKeyId: null,
      idempotencyScope: row.id,
      sourceId: null,
      defaultTable: row.default_table,
      rateLimitPerMinute: row.rate_limit_per_minute,
      allowedCidrs: row.allowed,
      revoked: row.revoked,
      expiresAt: null,
      storedHashHex: row.hash,
      verification:
        row.verify_preset === null
          ? null
          : {
              preset: row.verify_preset,
              options: row.verify_options,
              secrets: row.secrets.map((secret) => ({
                keyId: secret.key_id,
                sealed: Uint8Array.from(atob(secret.sealed), (c) => c.charCodeAt(0)),
                expiresAt: secret.expires_ms === null ? null : Number(secret.expires_ms),
              })),
            },
      maxBodyBytes: row.max_body_bytes,
    };
  }
  const [row] = await sql.query<ApiKeyRow>(API_KEY_BY_HASH, [hashHex, kind], options);
  if (row === undefined) return null;
  return {
    tenantId: row.tenant_id,
    connectionId: null,
    apiKeyId: row.id,
    idempotencyScope: row.lineage_id,
    sourceId: row.source_id,
    defaultTable: null,
    rateLimitPerMinute: row.rate_limit_per_minute,
    allowedCidrs: [],
    revoked: row.revoked,
    expiresAt: row.expires_ms === null ? null : Number(row.expires_ms),
    storedHashHex: row.hash,
    verification: null,
    maxBodyBytes: null,
  };
}
