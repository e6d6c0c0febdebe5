// Loads what a gate needs to know about one credential (tenant, limits, allowed IPs, revocation) from Postgres.
import type { CredentialKind } from '../../shared/credential-format.ts';
import type { QueryOptions, SqlClient } from '../db/sql-client.ts';

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
}

const CONNECTION_BY_TOKEN_HASH = `
  SELECT c.id, c.tenant_id, c.default_table, c.rate_limit_per_minute,
         c.revoked_at IS NOT NULL AS revoked, encode(c.token_hash, 'hex') AS hash,
         coalesce((SELECT json_agg(a.cidr::text) FROM boitata_connection_allowed_ips a WHERE a.connection_id = c.id), '[]') AS allowed
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
export async function loadCredentialConfig(
  sql: SqlClient,
  kind: CredentialKind,
  hashHex: string,
  options?: QueryOptions,
): Promise<CredentialConfig | null> {
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
  };
}
