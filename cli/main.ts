// The `boitata` operator command: migrate, tenants, connections, keys, signing-secret keys, dead letters, catalog.
import { parseArgs } from 'node:util';
import { ensureDatabase, openPool } from './database.ts';
import { resolveDatabase } from '../dev/embedded-postgres.ts';
import { migrate } from './migrate.ts';
import { createOutput, table, type Output } from './output.ts';
import {
  addApiKey, addTenant, listApiKeys, listTenants, ProvisionError, revokeApiKey, rotateApiKey,
} from './provision.ts';
import type pg from 'pg';
import { listDeadLetters, replayDeadLetters } from '../processor/queue/dead-letters.ts';
import { listAliases, listColumns, removeAlias } from './catalog.ts';
import { redactUrl } from '../shared/redact-url.ts';
import { OPTIONS, optionalInt, parseDuration, required, UsageError, type Values } from './arguments.ts';
import { runConnectionCommand, runTestDelivery } from './connection-commands.ts';
import { loadSecretsKeyring } from './secrets-key.ts';
import { rekeySigningSecrets } from './signing-secrets.ts';
import { generateSecretsKey, parseSecretsKey, SecretsKeyError, type SecretsKeyring } from '../shared/secret-box.ts';

const USAGE = `Usage: boitata <command> [options]        (--json prints JSON)

  DATABASE_URL selects the PostgreSQL (unset: the embedded one, data in BOITATA_DATA_DIR, default .boitata);
  TRINO_URL selects Trino for \`query\` (unset: the DuckDB file DUCKDB_PATH, default .boitata/warehouse.duckdb);
  BOITATA_SECRETS_KEY seals signing secrets, the same key as the edge's (unset and no DATABASE_URL: generated once
  and kept in BOITATA_DATA_DIR/secrets-key); BOITATA_SECRETS_KEY_PREVIOUS opens those sealed before a key rotation.

  migrate                                   create the database if needed and apply migrations
  tenants add <id> [--name NAME]            create a tenant (id: lowercase letters, digits, _ -)
  tenants list
  connections add --tenant T --name N [--table DEFAULT] [--allowed-ips CIDR,...] [--rate-limit N] [--max-body-bytes N]
                  [--verify PRESET (--signing-secret-file F | --signing-secret -)]
                                            create a connection; prints its ingest token ONCE. --verify makes it a
                                            provider webhook: stripe, github, shopify, slack, standard-webhooks, or
                                            hmac-sha256 --signature-header H --signature-encoding hex|base64
                                            [--signature-prefix P]. The signing secret is read from the file or
                                            standard input (never an argument), stored encrypted, never shown.
                                            --max-body-bytes: 1024..10485760 (default 1 MiB)
  connections list [--tenant T]
  connections update <connection-id> [--allowed-ips CIDR,...|none] [--rate-limit N] [--table T|none]
                  [--verify PRESET|none [--signing-secret-file F | --signing-secret -]] [--max-body-bytes N|default]
                                            change settings; gates apply them within GATE_CONFIG_TTL_SECONDS
  connections rotate-secret --id C (--signing-secret-file F | --signing-secret -) [--overlap 24h]
                                            a new signing secret now; the old one verifies for the overlap too
                                            (30m, 24h, 2d or seconds; default 24h; 0 switches at once)
  connections test-delivery --url PUSH_URL --verify PRESET (--signing-secret-file F | --signing-secret -)
                                            sign a sample event as the provider would and post it; prints the answer
  connections revoke <connection-id>
  keys add --tenant T --kind metrics|source [--source-id S] [--rate-limit N]
                                            create an API key; prints the key ONCE
  keys list [--tenant T]
  keys revoke <key-id>
  keys rotate <key-id> [--overlap 24h]      new key now, old key valid for the overlap (default 24h)
  secrets generate-key                      print a new BOITATA_SECRETS_KEY (32 random bytes, base64)
  secrets rekey                             re-seal every signing secret with BOITATA_SECRETS_KEY, opening those
                                            sealed with BOITATA_SECRETS_KEY_PREVIOUS (one transaction)
  dead-letters list [--tenant T] [--all]    messages the processor could never load, with the reason
                                            (--all includes those already replayed)
  dead-letters replay <id>... | --tenant T  put them back in the queue (rows that did land are not written twice)
  columns list --tenant T --table X         a table's columns: types, aliases, descriptions, tags, PII flags
  aliases list --tenant T [--table X]       field names mapped onto columns, and who decided (typo, dictionary, model)
  aliases remove --tenant T --table X <alias>
                                            undo an alias: from the next batch on, the field gets its own column
  query "SELECT ..."                        run SQL on the warehouse (Trino or DuckDB) and print the rows
`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`boitata: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [group, action, ...rest] = positionals;
  if (values.help || group === undefined || group === 'help') {
    process.stdout.write(USAGE);
    return group === undefined && !values.help ? 2 : 0;
  }
  const out = createOutput(values.json);
  // Loaded only for this command: the warehouse clients (DuckDB's native module) are heavy to import.
  if (group === 'query') return (await import('./query.ts')).runQuery([action, ...rest].filter((part) => part !== undefined).join(' '), out);
  // These need no database.
  if (`${group} ${action}` === 'secrets generate-key') return reported(() => printNewSecretsKey(out));
  if (`${group} ${action}` === 'connections test-delivery') return reported(() => runTestDelivery(values, out));
  let database;
  try {
    database = await resolveDatabase();
  } catch (error) {
    process.stderr.write(`boitata: ${(error as Error).message}\n`);
    return 1;
  }
  const url = database.url;
  if (group === 'migrate') await ensureDatabase(url);
  const db = openPool(url);
  try {
    await run(db, out, group, action, rest, values);
    return 0;
  } catch (error) {
    const reportedCode = userErrorCode(error);
    if (reportedCode !== null) return reportedCode;
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === '3D000' || code === '42P01') {
      process.stderr.write(`boitata: cannot use the database at ${redactUrl(url)} (${(error as Error).message}). Is Postgres running, and did you run \`boitata migrate\`?\n`);
      return 1;
    }
    throw error;
  } finally {
    await db.end();
    await database.stop();
  }
}

/** Prints a user error (what to fix) and gives its exit code; null for anything else. */
function userErrorCode(error: unknown): number | null {
  if (!(error instanceof ProvisionError || error instanceof UsageError || error instanceof SecretsKeyError)) return null;
  process.stderr.write(`boitata: ${error.message}\n`);
  return error instanceof UsageError ? 2 : 1;
}

async function reported(command: () => Promise<number | void>): Promise<number> {
  try {
    return (await command()) ?? 0;
  } catch (error) {
    const code = userErrorCode(error);
    if (code === null) throw error;
    return code;
  }
}

async function printNewSecretsKey(out: Output): Promise<void> {
  const key = generateSecretsKey();
  const { id } = await parseSecretsKey(key);
  // The key alone on stdout (`boitata secrets generate-key > key`); what to do with it on stderr.
  out.print({ key, key_id: id }, () => key);
  if (!out.json) {
    process.stderr.write(`Key id ${id}. Give the same key to the edge (\`wrangler secret put BOITATA_SECRETS_KEY\`) and to the CLI (BOITATA_SECRETS_KEY).\n`);
  }
}

async function run(db: pg.Pool, out: Output, group: string, action: string | undefined, rest: string[], values: Values): Promise<void> {
  const command = `${group} ${action ?? ''}`.trim();
  // Loaded on first need: in the embedded setup this may generate the key (BOITATA_DATA_DIR/secrets-key).
  let keyring: Promise<SecretsKeyring> | undefined;
  const secretsKeyring = () => (keyring ??= loadSecretsKeyring(process.env));
  if (group === 'connections') return runConnectionCommand(db, out, action, rest, values, secretsKeyring);
  switch (command) {
    case 'migrate': {
      const result = await migrate(db);
      return out.print(result, () =>
        result.applied.length === 0 ? 'Database is up to date.' : `Applied ${result.applied.join(', ')}.`,
      );
    }
    case 'tenants add': {
      const tenant = await addTenant(db, { id: required(rest[0], 'tenant id'), ...(values.name ? { name: values.name } : {}) });
      return out.print(tenant, () => `Created tenant ${tenant.id}.`);
    }
    case 'tenants list': {
      const tenants = await listTenants(db);
      return out.print(tenants, () => table(tenants as never, ['id', 'name', 'created_at']));
    }
    case 'keys add': {
      const kind = values.kind;
      if (kind !== 'metrics' && kind !== 'source') throw new UsageError('--kind must be metrics or source');
      const { key, secret } = await addApiKey(db, {
        tenant: required(values.tenant, '--tenant'),
        kind,
        sourceId: values['source-id'],
        rateLimitPerMinute: optionalInt(values['rate-limit'], '--rate-limit'),
      });
      return out.print({ ...key, key: secret }, () => `Created ${key.kind} key ${key.id}.\nKey (shown once, store it now): ${secret}`);
    }
    case 'keys list': {
      const keys = await listApiKeys(db, values.tenant ? { tenant: values.tenant } : {});
      return out.print(keys, () => table(keys as never, ['id', 'tenant_id', 'kind', 'source_id', 'key_prefix', 'expires_at', 'revoked_at']));
    }
    case 'keys revoke': {
      const key = await revokeApiKey(db, required(rest[0], 'key id'));
      return out.print(key, () => `Revoked key ${key.id} (${key.key_prefix}…); the edge refuses it within GATE_CONFIG_TTL_SECONDS (default 30 s).`);
    }
    case 'keys rotate': {
      const overlap = values.overlap === undefined ? 86_400 : parseDuration(values.overlap, '--overlap');
      const { key, secret, previous } = await rotateApiKey(db, required(rest[0], 'key id'), overlap);
      return out.print({ ...key, key: secret, previous }, () =>
        `New key ${key.id} (shown once, store it now): ${secret}\nOld key ${previous.id} (${previous.key_prefix}…) stops working at ${previous.expires_at?.toISOString()}.`,
      );
    }
    case 'secrets rekey': {
      const result = await rekeySigningSecrets(db, await secretsKeyring());
      return out.print(result, () =>
        `Re-sealed ${result.resealed} signing secret(s) with key ${result.key_id} (${result.already_current} already were` +
          `${result.expired_removed === 0 ? '' : `; ${result.expired_removed} expired one(s) deleted`}). Once the edge has this key as ` +
          'BOITATA_SECRETS_KEY and GATE_CONFIG_TTL_SECONDS have passed, remove BOITATA_SECRETS_KEY_PREVIOUS from the edge and the CLI.',
      );
    }
    case 'dead-letters list': {
      const dead = await listDeadLetters(db, { tenantId: values.tenant, includeReplayed: values.all });
      return out.print(dead, () => table(dead as never, ['id', 'tenant_id', 'message_id', 'error_code', 'attempts', 'dead_at', 'replayed_at', 'reason']));
    }
    case 'dead-letters replay': {
      if (rest.length === 0 && values.tenant === undefined) throw new UsageError('give dead letter ids, or --tenant T to replay all of a tenant\'s');
      if (rest.some((id) => !/^\d+$/.test(id))) throw new UsageError('dead letter ids are whole numbers (see dead-letters list)');
      const replayed = await replayDeadLetters(db, rest.length > 0 ? { ids: rest } : { tenantId: values.tenant! });
      return out.print({ replayed }, () => `Replayed ${replayed} dead letter(s): back in the queue as pending.`);
    }
    case 'columns list': {
      const columns = await listColumns(db, required(values.tenant, '--tenant'), required(values.table, '--table'));
      return out.print(columns, () => table(
        columns.map((c) => ({ ...c, pii: c.pii ? `yes (${c.pii_source})` : 'no', tags: c.tags })) as never,
        ['column', 'physical', 'type', 'pii', 'aliases', 'tags', 'description'],
      ));
    }
    case 'aliases list': {
      const aliases = await listAliases(db, required(values.tenant, '--tenant'), values.table);
      return out.print(aliases, () => table(
        aliases.map((a) => ({ ...a, evidence: JSON.stringify(a.evidence) })) as never,
        ['table_name', 'alias', 'column_name', 'decided_by', 'evidence', 'created_at'],
      ));
    }
    case 'aliases remove': {
      const removed = await removeAlias(db, required(values.tenant, '--tenant'), required(values.table, '--table'), required(rest[0], 'alias'));
      return out.print(removed, () => `Removed alias ${removed.alias} → ${removed.column_name}; from the next batch on, "${removed.alias}" gets its own column.`);
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}
