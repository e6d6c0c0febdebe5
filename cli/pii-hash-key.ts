// The PII hasher `boitata messages show` hashes with: the processor's own (PII_HASH_MODE, PII_HASH_KEY, or the
// development key it keeps in boitata_settings), so a hash the CLI prints is the one in the warehouse.
import type pg from 'pg';
import { PiiHasher } from '../processor/schema/pii-hasher.ts';
import { UsageError } from './arguments.ts';

export type CliPiiHasher = { hasher: PiiHasher; keySource: string } | { hasher: null; reason: string };

/** Read as the processor reads them (processor/config.ts): trimmed, a blank value is unset. */
export async function loadCliPiiHasher(db: Pick<pg.ClientBase, 'query'>, env: NodeJS.ProcessEnv = process.env): Promise<CliPiiHasher> {
  const mode = env['PII_HASH_MODE']?.trim() || 'hmac';
  if (mode !== 'hmac' && mode !== 'sha256') throw new UsageError(`PII_HASH_MODE must be hmac or sha256 (the processor's setting), not ${JSON.stringify(mode)}`);
  if (mode === 'sha256') return { hasher: new PiiHasher('sha256', Buffer.alloc(0)), keySource: 'plain SHA-256 (PII_HASH_MODE=sha256)' };
  const key = env['PII_HASH_KEY']?.trim() || undefined;
  if (key !== undefined) {
    if (key.length < 16) throw new UsageError('PII_HASH_KEY must be at least 16 characters (the processor refuses a shorter one too)');
    return { hasher: new PiiHasher('hmac', Buffer.from(key, 'utf8')), keySource: 'HMAC-SHA-256 with PII_HASH_KEY' };
  }
  // Read only: the processor makes this key (pii-hasher.ts loadPiiHashKey); the CLI never creates one.
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM boitata_settings WHERE name = 'pii_hash_key'`);
  const stored = rows[0]?.value;
  if (stored !== undefined) {
    return {
      hasher: new PiiHasher('hmac', Buffer.from(stored, 'base64')),
      keySource: "HMAC-SHA-256 with the processor's generated development key (boitata_settings; PII_HASH_KEY is not set)",
    };
  }
  return {
    hasher: null,
    reason:
      'the payload is not shown: there is no PII hash key to hide its personal data with. Set PII_HASH_KEY (and PII_HASH_MODE) ' +
      "to the processor's values, so personal data shows as the hashes the warehouse holds",
  };
}
