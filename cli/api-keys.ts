// API keys (metrics and source keys): the operations behind `boitata keys`. A key's secret is returned once, at
// creation or rotation; only its hash and visible prefix are stored.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { visiblePrefix } from '../shared/credential-format.ts';
import { withTransaction } from '../database/with-transaction.ts';
import { generateSecret, hashSecret } from './credential-secrets.ts';
import { assertRateLimit, assertUuid, ProvisionError } from './provision-error.ts';
import { assertTenant } from './tenants.ts';

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
  return insertKey(db, {
    id,
    lineageId: id,
    tenant: input.tenant,
    kind: input.kind,
    sourceId: input.sourceId ?? null,
    rateLimit: assertRateLimit(input.rateLimitPerMinute),
  });
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
  const result = await db.query<ApiKeyInfo>(`UPDATE boitata_api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${API_KEY_COLUMNS}`, [
    id,
  ]);
  if (result.rows[0] === undefined) throw new ProvisionError(`no API key ${id}`);
  return result.rows[0];
}

/**
 * Issues a new key in the same lineage (same tenant, kind, source and idempotency scope) and lets the old
 * one keep working for `overlapSeconds`, so producers can switch without a failed request.
 */
export async function rotateApiKey(db: pg.Pool, id: string, overlapSeconds: number): Promise<{ key: ApiKeyInfo; secret: string; previous: ApiKeyInfo }> {
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
