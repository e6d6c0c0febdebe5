// Connections (ingest tokens, with their allowlist, limits and provider verification): the operations behind
// `boitata connections`. The token is returned once; a signing secret (provider webhooks) is never returned at all.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { visiblePrefix } from '../shared/credential-format.ts';
import { isValidTableName, TABLE_NAME_RULE } from '../shared/table-name.ts';
import type { SecretsKeyring } from '../shared/secret-box.ts';
import type { GenericHmacOptions, VerifyPreset } from '../shared/webhooks/presets.ts';
import { withTransaction } from '../database/with-transaction.ts';
import { generateSecret, hashSecret } from './credential-secrets.ts';
import { normalizeCidr } from './normalize-cidr.ts';
import { assertRateLimit, assertUuid, ProvisionError } from './provision-error.ts';
import { insertSigningSecret } from './signing-secrets.ts';
import { assertTenant } from './tenants.ts';
import { checkMaxBodyBytes, checkSigningSecret, checkVerifySetting, type VerifySetting } from './verify-settings.ts';

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

export async function addConnection(db: pg.Pool, input: NewConnection, keyring?: SecretsKeyring): Promise<{ connection: ConnectionInfo; token: string }> {
  await assertTenant(db, input.tenant);
  if (input.table !== undefined && !isValidTableName(input.table)) throw new ProvisionError(`--table: ${TABLE_NAME_RULE}`);
  const allowedIps = (input.allowedIps ?? []).map(normalizeCidr);
  const rateLimit = assertRateLimit(input.rateLimitPerMinute);
  const maxBodyBytes = input.maxBodyBytes === undefined ? null : checkMaxBodyBytes(input.maxBodyBytes);
  const verify = input.verify === undefined ? null : checkVerifySetting(input.verify);
  if (verify === null && input.signingSecret !== undefined) {
    throw new ProvisionError("a signing secret needs --verify PRESET: it is what the provider's signatures are checked with");
  }
  if (verify !== null && input.signingSecret === undefined) {
    throw new ProvisionError(
      `--verify ${verify.preset} needs the provider's signing secret: --signing-secret-file F, or --signing-secret - to read it from standard input`,
    );
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
        [
          id,
          input.tenant,
          input.name,
          input.table ?? null,
          hashSecret(token),
          visiblePrefix(token),
          rateLimit,
          verify?.preset ?? null,
          verify?.options ? JSON.stringify(verify.options) : null,
          maxBodyBytes,
        ],
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
    if (verify === 'none') throw new ProvisionError("--verify none deletes the connection's signing secrets: give it no signing secret");
    signingSecret = checkSigningSecret(changes.signingSecret, verify.preset);
    if (keyring === undefined) throw new ProvisionError('no secrets key to seal the signing secret with (BOITATA_SECRETS_KEY)');
  }
  await withTransaction(db, async (client) => {
    const {
      rows: [current],
    } = await client.query<{ verify_preset: string | null; secrets: number }>(
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
            "needs the provider's signing secret in the same command (--signing-secret-file F, or --signing-secret - to read it from standard input)",
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
      [
        id,
        rateLimit ?? null,
        changes.table !== undefined,
        changes.table ?? null,
        verify !== undefined,
        verifyPreset,
        verifyOptions,
        maxBodyBytes !== undefined,
        maxBodyBytes ?? null,
      ],
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
    await client.query('INSERT INTO boitata_connection_allowed_ips (connection_id, cidr) VALUES ($1, $2::cidr) ON CONFLICT DO NOTHING', [connectionId, cidr]);
  }
}

export async function revokeConnection(db: pg.Pool, id: string): Promise<ConnectionInfo> {
  assertUuid(id, 'connection id');
  const result = await db.query('UPDATE boitata_connections SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [id]);
  if (result.rowCount === 0) throw new ProvisionError(`no connection ${id}`);
  return (await listConnections(db, { id }))[0]!;
}
