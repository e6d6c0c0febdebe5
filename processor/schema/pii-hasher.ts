// Hashes personal data on ingestion: HMAC-SHA-256 with a per-tenant key by default (a bare SHA-256 of a phone
// number is reversed by enumerating phone numbers), or plain SHA-256 as a setting. Same input, same tenant → same hash.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { stringifyJson } from '../normalize/parse-payload.ts';

export type PiiHashMode = 'hmac' | 'sha256';

/** Values that are already hashes (64 lowercase hex): never hashed twice. */
export const HASHED = /^[0-9a-f]{64}$/;

export class PiiHasher {
  private readonly mode: PiiHashMode;
  private readonly masterKey: Buffer;
  private readonly tenantKeys = new Map<string, Buffer>();

  constructor(mode: PiiHashMode, masterKey: Buffer) {
    this.mode = mode;
    this.masterKey = masterKey;
  }

  /** The text form of a value (numbers as written, everything else as JSON), hashed for its tenant. */
  hash(tenantId: string, value: unknown): string {
    // stringifyJson: a bigint (an integer beyond 2^53) hashes as its exact digits, like any other number.
    const text = typeof value === 'string' ? value : stringifyJson(value);
    if (this.mode === 'sha256') return createHash('sha256').update(text, 'utf8').digest('hex');
    let key = this.tenantKeys.get(tenantId);
    if (key === undefined) this.tenantKeys.set(tenantId, (key = createHmac('sha256', this.masterKey).update(`tenant:${tenantId}`).digest()));
    return createHmac('sha256', key).update(text, 'utf8').digest('hex');
  }
}

/**
 * The master key: PII_HASH_KEY when set (production: from a secret store). Without it, a random key is made
 * once and kept in boitata_settings so hashes stay stable across restarts (development only: anyone who can
 * read that table can recompute the hashes).
 */
export async function loadPiiHashKey(pool: pg.Pool, configured: string | undefined): Promise<{ key: Buffer; generated: boolean }> {
  if (configured !== undefined) return { key: Buffer.from(configured, 'utf8'), generated: false };
  await pool.query(`INSERT INTO boitata_settings (name, value) VALUES ('pii_hash_key', $1) ON CONFLICT DO NOTHING`, [randomBytes(32).toString('base64')]);
  const { rows } = await pool.query<{ value: string }>(`SELECT value FROM boitata_settings WHERE name = 'pii_hash_key'`);
  return { key: Buffer.from(rows[0]!.value, 'base64'), generated: true };
}
