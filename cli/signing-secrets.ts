// Signing secrets at rest: sealed with BOITATA_SECRETS_KEY into boitata_signing_secrets, rotated with an overlap,
// re-sealed when that key is rotated. A plaintext secret lives only in this process's memory, never in a message.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { sealSecret, SecretsKeyError, type SecretsKeyring } from '../shared/secret-box.ts';
import { isVerifyPreset } from '../shared/webhooks/presets.ts';
import { withTransaction } from '../database/with-transaction.ts';
import { recordAudit } from '../processor/governance/audit.ts';
import { assertUuid, ProvisionError } from './provision-error.ts';
import { checkSigningSecret } from './verify-settings.ts';

/** Longest overlap a rotation may give the old secret: long enough for any provider's retries, short enough to end. */
export const MAX_OVERLAP_SECONDS = 30 * 86_400;

/** Seals `secret` for one connection (its id is the authenticated data) and stores it, in the caller's transaction. */
export async function insertSigningSecret(client: pg.PoolClient, connectionId: string, secret: string, keyring: SecretsKeyring): Promise<string> {
  const id = randomUUID();
  const sealed = await sealSecret(keyring.current, secret, connectionId);
  await client.query('INSERT INTO boitata_signing_secrets (id, connection_id, key_id, sealed) VALUES ($1, $2, $3, $4)', [
    id,
    connectionId,
    keyring.current.id,
    Buffer.from(sealed),
  ]);
  return id;
}

export interface RotatedSecret {
  connection_id: string;
  secret_id: string;
  /** how many older secrets keep verifying until `previous_expires_at` */
  previous: number;
  previous_expires_at: Date | null;
}

/**
 * Adds a new signing secret and gives every older one that still verifies an expiry `overlapSeconds` from now
 * (never later than one it already had): during the overlap both verify, the provider switching whenever it does.
 */
export async function rotateSigningSecret(
  db: pg.Pool,
  connectionId: string,
  newSecret: string,
  overlapSeconds: number,
  keyring: SecretsKeyring,
): Promise<RotatedSecret> {
  assertUuid(connectionId, 'connection id');
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_OVERLAP_SECONDS) {
    throw new ProvisionError('--overlap must be between 0 (switch at once) and 30 days (30d)');
  }
  return withTransaction(db, async (client) => {
    const {
      rows: [connection],
    } = await client.query<{ verify_preset: string | null; revoked: boolean }>(
      'SELECT verify_preset, revoked_at IS NOT NULL AS revoked FROM boitata_connections WHERE id = $1 FOR UPDATE',
      [connectionId],
    );
    if (connection === undefined) throw new ProvisionError(`no connection ${connectionId}`);
    if (connection.revoked) throw new ProvisionError(`connection ${connectionId} is revoked: its signing secrets verify nothing any more`);
    if (!isVerifyPreset(connection.verify_preset)) {
      throw new ProvisionError(
        `connection ${connectionId} verifies no signature, so it has no signing secret to rotate: ` +
          `set one with \`boitata connections update ${connectionId} --verify PRESET --signing-secret-file F\``,
      );
    }
    const secret = checkSigningSecret(newSecret, connection.verify_preset);
    // Secrets already expired verify nothing: they go, rather than piling up sealed forever.
    await client.query('DELETE FROM boitata_signing_secrets WHERE connection_id = $1 AND expires_at <= now()', [connectionId]);
    const { rows: previous } = await client.query<{ expires_at: Date }>(
      `UPDATE boitata_signing_secrets
          SET expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $2))
        WHERE connection_id = $1
        RETURNING expires_at`,
      [connectionId, overlapSeconds],
    );
    const secretId = await insertSigningSecret(client, connectionId, secret, keyring);
    const latest = previous.reduce<Date | null>((max, row) => (max === null || row.expires_at > max ? row.expires_at : max), null);
    return { connection_id: connectionId, secret_id: secretId, previous: previous.length, previous_expires_at: latest };
  });
}

export interface RekeyResult {
  /** the id of BOITATA_SECRETS_KEY, which now seals every secret */
  key_id: string;
  resealed: number;
  already_current: number;
  /** expired secrets sealed with another key: deleted, not re-sealed (they verify nothing) */
  expired_removed: number;
}

/**
 * Re-seals with the current key every secret sealed with another one (opened with BOITATA_SECRETS_KEY_PREVIOUS),
 * all in one transaction: either every secret moves to the new key or none does. With `actor`, the audit entry
 * (key ids and counts) is written in that transaction too.
 */
export async function rekeySigningSecrets(db: pg.Pool, keyring: SecretsKeyring, actor?: string): Promise<RekeyResult> {
  const current = keyring.current;
  return withTransaction(db, async (client) => {
    const expired = await client.query('DELETE FROM boitata_signing_secrets WHERE key_id <> $1 AND expires_at <= now()', [current.id]);
    const { rows } = await client.query<{ id: string; connection_id: string; key_id: string; sealed: Buffer }>(
      'SELECT id, connection_id, key_id, sealed FROM boitata_signing_secrets WHERE key_id <> $1 ORDER BY id FOR UPDATE',
      [current.id],
    );
    for (const row of rows) {
      let plaintext: string;
      try {
        plaintext = await keyring.open(row.key_id, row.sealed, row.connection_id);
      } catch (error) {
        if (!(error instanceof SecretsKeyError)) throw error;
        throw new ProvisionError(
          `connection ${row.connection_id}: ${error.message}. Nothing was re-sealed: set BOITATA_SECRETS_KEY_PREVIOUS to the key ` +
            'that sealed it (and BOITATA_SECRETS_KEY to the new one), then run `boitata secrets rekey` again.',
        );
      }
      const sealed = await sealSecret(current, plaintext, row.connection_id);
      await client.query('UPDATE boitata_signing_secrets SET key_id = $2, sealed = $3 WHERE id = $1', [row.id, current.id, Buffer.from(sealed)]);
    }
    const {
      rows: [counted],
    } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM boitata_signing_secrets WHERE key_id = $1', [current.id]);
    const result = { key_id: current.id, resealed: rows.length, already_current: counted!.n - rows.length, expired_removed: expired.rowCount ?? 0 };
    if (actor !== undefined) {
      const fromKeys = [...new Set(rows.map((row) => row.key_id))].sort();
      await recordAudit(client, { actor, via: 'cli', action: 'secrets.rekey', tenantId: null, details: { ...result, from_key_ids: fromKeys } });
    }
    return result;
  });
}
