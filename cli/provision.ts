// Tenants, connections and API keys: the operations behind `boitata tenants|connections|keys`. Secrets are returned once;
// a connection's signing secret (provider webhooks) is never returned at all.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { withHexIpv4Tail } from '../shared/ip-allowlist.ts';
import type pg from 'pg';
import { credentialKinds, visiblePrefix, type CredentialKind } from '../shared/credential-format.ts';
import { isValidTableName, TABLE_NAME_RULE } from '../shared/table-name.ts';
import type { SecretsKeyring } from '../shared/secret-box.ts';
import type { GenericHmacOptions, VerifyPreset } from '../shared/webhooks/presets.ts';
import { assertUuid, ProvisionError } from './provision-error.ts';
import { withTransaction } from './database.ts';
import { insertSigningSecret } from './signing-secrets.ts';
import { checkMaxBodyBytes, checkSigningSecret, checkVerifySetting, type VerifySetting } from './verify-settings.ts';

export { ProvisionError } from './provision-error.ts';

export function generateSecret(kind: CredentialKind): string {
  return credentialKinds[kind] + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

// ---- tenants

export interface Tenant {
  id: string;
  name: string;
  created_at: Date;
}

export async function addTenant(db: pg.Pool, input: { id: string; name?: string }): Promise<Tenant> {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(input.id)) {
    throw new ProvisionError(`tenant id ${JSON.stringify(input.id)}: use 1-63 lowercase letters, digits, "_" or "-"`);
  }
  const result = await db.query<Tenant>(
    `INSERT INTO boitata_tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id, name, created_at`,
    [input.id, input.name ?? input.id],
  );
  if (result.rows[0] === undefined) throw new ProvisionError(`tenant ${input.id} already exists`);
  return result.rows[0];
}

export async function listTenants(db: pg.Pool): Promise<Tenant[]> {
  return (await db.query<Tenant>('SELECT id, name, created_at FROM boitata_tenants ORDER BY id')).rows;
}

async function assertTenant(db: pg.Pool, tenant: string): Promise<void> {
  const found = await db.query('SELECT 1 FROM boitata_tenants WHERE id = $1', [tenant]);
  if (found.rowCount === 0) throw new ProvisionError(`no tenant ${JSON.stringify(tenant)}: create it with \`boitata tenants add ${tenant}\``);
}

// ---- connections

export interface ConnectionInfo {
  id: string;
  tenant_id: string;
  name: string;
  default_table: string | null;
  token_prefix: string;
  rate_limit_per_minute: number;
  allowed_ips: string[];
  /** the provider signature it verifies, or null for a plain connection */
  verify_preset: VerifyPreset | null;
  verify_options: GenericHmacOptions | null;
  /** null: the default 1 MiB */
  max_body_bytes: number | null;
  /** how many signing secrets verify now (two during a rotation's overlap); never the secrets themselves */
  signing_secrets: number;
  /** when the first of them stops verifying (the old one of a rotation), or null */
  signing_secret_next_expiry: Date | null;
  created_at: Date;
  revoked_at: Date | null;
}

export interface NewConnection {
  tenant: string;
  name: string;
  table?: string | undefined;
  allowedIps?: string[] | undefined;
  rateLimitPerMinute?: number | undefined;
  /** verify a provider's signature: needs `signingSecret` (and a keyring to seal it with) */
  verify?: VerifySetting | undefined;
  signingSecret?: string | undefined;
  maxBodyBytes?: number | undefined;
}

export async function addConnection(
  db: pg.Pool,
  input: NewConnection,
  keyring?: SecretsKeyring,
): Promise<{ connection: ConnectionInfo; token: string }> {
  await assertTenant(db, input.tenant);
  if (input.table !== undefined && !isValidTableName(input.table)) throw new ProvisionError(`--table: ${TABLE_NAME_RULE}`);
  const allowedIps = (input.allowedIps ?? []).map(normalizeCidr);
  const rateLimit = assertRateLimit(input.rateLimitPerMinute);
  const maxBodyBytes = input.maxBodyBytes === undefined ? null : checkMaxBodyBytes(input.maxBodyBytes);
  const verify = input.verify === undefined ? null : checkVerifySetting(input.verify);
  if (verify === null && input.signingSecret !== undefined) {
    throw new ProvisionError('a signing secret needs --verify PRESET: it is what the provider\'s signatures are checked with');
  }
  if (verify !== null && input.signingSecret === undefined) {
    throw new ProvisionError(`--verify ${verify.preset} needs the provider's signing secret: --signing-secret-file F, or --signing-secret - to read it from standard input`);
  }
  const signingSecret = verify === null ? null : checkSigningSecret(input.signingSecret, verify.preset);
  if (signingSecret !== null && keyring === undefined) throw new ProvisionError('no secrets key to seal the signing secret with (BOITATA_SECRETS_KEY)');
  const token = generateSecret('ingest');
  const id = randomUUID();
  try {
    await withTransaction(db, async (client) => {
      await client.query(
        `INSERT INTO boitata_connections (id, tenant_id, name, default_table, token_hash, token_prefix, rate_limit_per_minute,
                                          verify_preset, verify_options, max_body_bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)`,
        [id, input.tenant, input.name, input.table ?? null, hashSecret(token), visiblePrefix(token), rateLimit,
          verify?.preset ?? null, verify?.options ? JSON.stringify(verify.options) : null, maxBodyBytes],
      );
      await insertAllowedIps(client, id, allowedIps);
      if (signingSecret !== null) await insertSigningSecret(client, id, signingSecret, keyring!);
    });
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new ProvisionError(`tenant ${input.tenant} already has a connection named ${JSON.stringify(input.name)}`);
    }
    throw error;
  }
  const [connection] = await listConnections(db, { id });
  return { connection: connection!, token };
}

export async function listConnections(db: pg.Pool, filter: { tenant?: string; id?: string } = {}): Promise<ConnectionInfo[]> {
  const result = await db.query<ConnectionInfo>(
    `SELECT c.id, c.tenant_id, c.name, c.default_table, c.token_prefix, c.rate_limit_per_minute, c.created_at, c.revoked_at,
            coalesce(array_agg(a.cidr::text ORDER BY a.cidr) FILTER (WHERE a.cidr IS NOT NULL), '{}') AS allowed_ips,
            c.verify_preset, c.verify_options, c.max_body_bytes,
            (SELECT count(*)::int FROM boitata_signing_secrets s
              WHERE s.connection_id = c.id AND (s.expires_at IS NULL OR s.expires_at > now())) AS signing_secrets,
            (SELECT min(s.expires_at) FROM boitata_signing_secrets s
              WHERE s.connection_id = c.id AND s.expires_at > now()) AS signing_secret_next_expiry
       FROM boitata_connections c LEFT JOIN boitata_connection_allowed_ips a ON a.connection_id = c.id
      WHERE ($1::text IS NULL OR c.tenant_id = $1) AND ($2::uuid IS NULL OR c.id = $2)
      GROUP BY c.id ORDER BY c.tenant_id, c.name`,
    [filter.tenant ?? null, filter.id ?? null],
  );
  return result.rows;
}

export interface ConnectionChanges {
  /** Replaces the whole allowlist; an empty list lets every address push. */
  allowedIps?: string[] | undefined;
  rateLimitPerMinute?: number | undefined;
  /** A table name, or null to remove the default table. */
  table?: string | null | undefined;
  /** A preset to verify (with `signingSecret` unless the connection has a secret for it), or 'none' to stop. */
  verify?: VerifySetting | 'none' | undefined;
  signingSecret?: string | undefined;
  /** A limit in bytes, or null for the default (1 MiB). */
  maxBodyBytes?: number | null | undefined;
}

/** Changes a connection's settings; running gates pick them up within GATE_CONFIG_TTL_SECONDS. */
export async function updateConnection(db: pg.Pool, id: string, changes: ConnectionChanges, keyring?: SecretsKeyring): Promise<ConnectionInfo> {
  assertUuid(id, 'connection id');
  if (typeof changes.table === 'string' && !isValidTableName(changes.table)) throw new ProvisionError(`--table: ${TABLE_NAME_RULE}`);
  const allowedIps = changes.allowedIps?.map(normalizeCidr);
  const rateLimit = changes.rateLimitPerMinute === undefined ? undefined : assertRateLimit(changes.rateLimitPerMinute);
  const maxBodyBytes = changes.maxBodyBytes === undefined ? undefined : checkMaxBodyBytes(changes.maxBodyBytes);
  const verify = changes.verify === undefined || changes.verify === 'none' ? changes.verify : checkVerifySetting(changes.verify);
  let signingSecret: string | undefined;
  if (changes.signingSecret !== undefined) {
    if (verify === undefined) {
      throw new ProvisionError(
        `to change a connection's signing secret, rotate it: \`boitata connections rotate-secret --id ${id} --signing-secret-file F --overlap 24h\` ` +
          '(both secrets verify during the overlap; --overlap 0 switches at once)',
      );
    }
    if (verify === 'none') throw new ProvisionError('--verify none deletes the connection\'s signing secrets: give it no signing secret');
    signingSecret = checkSigningSecret(changes.signingSecret, verify.preset);
    if (keyring === undefined) throw new ProvisionError('no secrets key to seal the signing secret with (BOITATA_SECRETS_KEY)');
  }
  await withTransaction(db, async (client) => {
    const { rows: [current] } = await client.query<{ verify_preset: string | null; secrets: number }>(
      `SELECT verify_preset, (SELECT count(*)::int FROM boitata_signing_secrets s
                               WHERE s.connection_id = c.id AND (s.expires_at IS NULL OR s.expires_at > now())) AS secrets
         FROM boitata_connections c WHERE id = $1 FOR UPDATE`,
      [id],
    );
    if (current === undefined) throw new ProvisionError(`no connection ${id}`);
    if (typeof verify === 'object') {
      // A secret belongs to one provider: another preset needs that provider's secret, not the old one.
      const switching = current.verify_preset !== null && current.verify_preset !== verify.preset;
      if (signingSecret === undefined && (current.secrets === 0 || switching)) {
        throw new ProvisionError(
          `${switching ? `connection ${id} verifies ${current.verify_preset} signatures: switching it to ${verify.preset}` : `connection ${id} has no signing secret: --verify ${verify.preset}`} ` +
            'needs the provider\'s signing secret in the same command (--signing-secret-file F, or --signing-secret - to read it from standard input)',
        );
      }
    }
    if (verify === 'none' || signingSecret !== undefined) {
      await client.query('DELETE FROM boitata_signing_secrets WHERE connection_id = $1', [id]);
    }
    if (signingSecret !== undefined) await insertSigningSecret(client, id, signingSecret, keyring!);
    const verifyPreset = typeof verify === 'object' ? verify.preset : null;
    const verifyOptions = typeof verify === 'object' && verify.options !== null ? JSON.stringify(verify.options) : null;
    await client.query(
      `UPDATE boitata_connections
          SET rate_limit_per_minute = coalesce($2, rate_limit_per_minute),
              default_table = CASE WHEN $3 THEN $4 ELSE default_table END,
              verify_preset = CASE WHEN $5 THEN $6 ELSE verify_preset END,
              verify_options = CASE WHEN $5 THEN $7::jsonb ELSE verify_options END,
              max_body_bytes = CASE WHEN $8 THEN $9 ELSE max_body_bytes END
        WHERE id = $1`,
      [id, rateLimit ?? null, changes.table !== undefined, changes.table ?? null,
        verify !== undefined, verifyPreset, verifyOptions, maxBodyBytes !== undefined, maxBodyBytes ?? null],
    );
    if (allowedIps !== undefined) {
      await client.query('DELETE FROM boitata_connection_allowed_ips WHERE connection_id = $1', [id]);
      await insertAllowedIps(client, id, allowedIps);
    }
  });
  return (await listConnections(db, { id }))[0]!;
}

async function insertAllowedIps(client: pg.PoolClient, connectionId: string, cidrs: readonly string[]): Promise<void> {
  for (const cidr of cidrs) {
    await client.query(
      'INSERT INTO boitata_connection_allowed_ips (connection_id, cidr) VALUES ($1, $2::cidr) ON CONFLICT DO NOTHING',
      [connectionId, cidr],
    );
  }
}

export async function revokeConnection(db: pg.Pool, id: string): Promise<ConnectionInfo> {
  assertUuid(id, 'connection id');
  const result = await db.query('UPDATE boitata_connections SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [id]);
  if (result.rowCount === 0) throw new ProvisionError(`no connection ${id}`);
  return (await listConnections(db, { id }))[0]!;
}

// ---- API keys

export interface ApiKeyInfo {
  id: string;
  lineage_id: string;
  tenant_id: string;
  kind: 'metrics' | 'source';
  source_id: string | null;
  key_prefix: string;
  rate_limit_per_minute: number;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const API_KEY_COLUMNS = 'id, lineage_id, tenant_id, kind, source_id, key_prefix, rate_limit_per_minute, created_at, expires_at, revoked_at';

export interface NewApiKey {
  tenant: string;
  kind: 'metrics' | 'source';
  sourceId?: string | undefined;
  rateLimitPerMinute?: number | undefined;
}

export async function addApiKey(db: pg.Pool, input: NewApiKey): Promise<{ key: ApiKeyInfo; secret: string }> {
  await assertTenant(db, input.tenant);
  if (input.kind === 'source' && (input.sourceId === undefined || input.sourceId === '')) {
    throw new ProvisionError('a source key needs --source-id: the event source whose events it may send');
  }
  if (input.kind === 'metrics' && input.sourceId !== undefined) throw new ProvisionError('--source-id is only for --kind source');
  const id = randomUUID();
  return insertKey(db, { id, lineageId: id, tenant: input.tenant, kind: input.kind, sourceId: input.sourceId ?? null, rateLimit: assertRateLimit(input.rateLimitPerMinute) });
}

async function insertKey(
  db: pg.Pool | pg.PoolClient,
  key: { id: string; lineageId: string; tenant: string; kind: 'metrics' | 'source'; sourceId: string | null; rateLimit: number },
): Promise<{ key: ApiKeyInfo; secret: string }> {
  const secret = generateSecret(key.kind);
  const result = await db.query<ApiKeyInfo>(
    `INSERT INTO boitata_api_keys (id, lineage_id, tenant_id, kind, source_id, key_hash, key_prefix, rate_limit_per_minute)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${API_KEY_COLUMNS}`,
    [key.id, key.lineageId, key.tenant, key.kind, key.sourceId, hashSecret(secret), visiblePrefix(secret), key.rateLimit],
  );
  return { key: result.rows[0]!, secret };
}

export async function listApiKeys(db: pg.Pool, filter: { tenant?: string } = {}): Promise<ApiKeyInfo[]> {
  const result = await db.query<ApiKeyInfo>(
    `SELECT ${API_KEY_COLUMNS} FROM boitata_api_keys WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY tenant_id, created_at`,
    [filter.tenant ?? null],
  );
  return result.rows;
}

export async function revokeApiKey(db: pg.Pool, id: string): Promise<ApiKeyInfo> {
  assertUuid(id, 'key id');
  const result = await db.query<ApiKeyInfo>(
    `UPDATE boitata_api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${API_KEY_COLUMNS}`,
    [id],
  );
  if (result.rows[0] === undefined) throw new ProvisionError(`no API key ${id}`);
  return result.rows[0];
}

/**
 * Issues a new key in the same lineage (same tenant, kind, source and idempotency scope) and lets the old
 * one keep working for `overlapSeconds`, so producers can switch without a failed request.
 */
export async function rotateApiKey(
  db: pg.Pool,
  id: string,
  overlapSeconds: number,
): Promise<{ key: ApiKeyInfo; secret: string; previous: ApiKeyInfo }> {
  assertUuid(id, 'key id');
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0) throw new ProvisionError('--overlap must be a whole number of seconds >= 0');
  return withTransaction(db, async (client) => {
    const previous = (
      await client.query<ApiKeyInfo>(
        `UPDATE boitata_api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $2))
          WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
          RETURNING ${API_KEY_COLUMNS}`,
        [id, overlapSeconds],
      )
    ).rows[0];
    if (previous === undefined) throw new ProvisionError(`no active API key ${id} (revoked or expired keys cannot be rotated)`);
    const rotated = await insertKey(client, {
      id: randomUUID(),
      lineageId: previous.lineage_id,
      tenant: previous.tenant_id,
      kind: previous.kind,
      sourceId: previous.source_id,
      rateLimit: previous.rate_limit_per_minute,
    });
    return { ...rotated, previous };
  });
}

// ---- validation

/** Accepts an address or a CIDR range, IPv4 or IPv6, and returns its canonical network form. */
export function normalizeCidr(input: string): string {
  // `::a.b.c.d` is an IPv6 address, not the IPv4 one: spelled as hex groups, ipaddr.js cannot fold it into IPv4.
  const raw = input.trim();
  const slash = raw.indexOf('/');
  const head = withHexIpv4Tail(slash < 0 ? raw : raw.slice(0, slash));
  const text = head === null ? raw : `${head}${slash < 0 ? '' : raw.slice(slash)}`;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let bits: number;
  try {
    if (text.includes('/')) [address, bits] = ipaddr.parseCIDR(text);
    else {
      address = ipaddr.parse(text);
      bits = address.kind() === 'ipv4' ? 32 : 128;
    }
  } catch {
    throw new ProvisionError(`--allowed-ips: ${JSON.stringify(input)} is not an IPv4/IPv6 address or CIDR range`);
  }
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    address = (address as ipaddr.IPv6).toIPv4Address();
    bits -= 96;
  }
  const network = address.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

function assertRateLimit(value: number | undefined): number {
  if (value === undefined) return 300;
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
    throw new ProvisionError('--rate-limit must be a whole number of requests per minute between 1 and 1000000');
  }
  return value;
}
