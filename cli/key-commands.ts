// `boitata keys …`: create, list, revoke and rotate API keys (metrics and source keys); a new key is printed once.
import type pg from 'pg';
import { addApiKey, listApiKeys, revokeApiKey, rotateApiKey } from './api-keys.ts';
import { optionalInt, parseDuration, required, UsageError, type Values } from './arguments.ts';
import { recordCliAudit } from './cli-audit.ts';
import { table, type Output } from './output.ts';
import { unknownCommand } from './usage.ts';

const DEFAULT_OVERLAP_SECONDS = 86_400;

/** `keys add`, `keys list`, `keys revoke`, `keys rotate`. */
export async function runKeyCommand(db: pg.Pool, out: Output, command: string, rest: string[], values: Values): Promise<void> {
  switch (command) {
    case 'keys add': {
      const kind = values.kind;
      if (kind !== 'metrics' && kind !== 'source') throw new UsageError('--kind must be metrics or source');
      const { key, secret } = await addApiKey(db, {
        tenant: required(values.tenant, '--tenant'),
        kind,
        sourceId: values['source-id'],
        rateLimitPerMinute: optionalInt(values['rate-limit'], '--rate-limit'),
      });
      await recordCliAudit(db, values, 'key.create', key.tenant_id, {
        key_id: key.id,
        kind: key.kind,
        source_id: key.source_id,
        rate_limit_per_minute: key.rate_limit_per_minute,
      });
      return out.print({ ...key, key: secret }, () => `Created ${key.kind} key ${key.id}.\nKey (shown once, store it now): ${secret}`);
    }
    case 'keys list': {
      const keys = await listApiKeys(db, values.tenant ? { tenant: values.tenant } : {});
      return out.print(keys, () => table(keys as never, ['id', 'tenant_id', 'kind', 'source_id', 'key_prefix', 'expires_at', 'revoked_at']));
    }
    case 'keys revoke': {
      const key = await revokeApiKey(db, required(rest[0], 'key id'));
      await recordCliAudit(db, values, 'key.revoke', key.tenant_id, { key_id: key.id, kind: key.kind });
      return out.print(key, () => `Revoked key ${key.id} (${key.key_prefix}…); the edge refuses it within GATE_CONFIG_TTL_SECONDS (default 30 s).`);
    }
    case 'keys rotate': {
      const overlap = values.overlap === undefined ? DEFAULT_OVERLAP_SECONDS : parseDuration(values.overlap, '--overlap');
      const { key, secret, previous } = await rotateApiKey(db, required(rest[0], 'key id'), overlap);
      await recordCliAudit(db, values, 'key.rotate', key.tenant_id, {
        key_id: key.id,
        previous_key_id: previous.id,
        kind: key.kind,
        overlap_seconds: overlap,
        previous_expires_at: previous.expires_at,
      });
      return out.print(
        { ...key, key: secret, previous },
        () =>
          `New key ${key.id} (shown once, store it now): ${secret}\nOld key ${previous.id} (${previous.key_prefix}…) stops working at ${previous.expires_at?.toISOString()}.`,
      );
    }
    default:
      throw unknownCommand(command);
  }
}
