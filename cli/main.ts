// The `boitata` operator command: migrate, tenants, connections and keys.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ensureDatabase, openPool } from './database.ts';
import { resolveDatabase } from '../dev/embedded-postgres.ts';
import { migrate } from './migrate.ts';
import { createOutput, table, type Output } from './output.ts';
import {
  addApiKey, addConnection, addTenant, listApiKeys, listConnections, listTenants, ProvisionError,
  revokeApiKey, revokeConnection, rotateApiKey, updateConnection,
} from './provision.ts';
import type pg from 'pg';
import { listDeadLetters, replayDeadLetters } from '../processor/queue/dead-letters.ts';
import { listAliases, listColumns, removeAlias } from './catalog.ts';
import { redactUrl } from '../processor/logger.ts';

const USAGE = `Usage: boitata <command> [options]        (--json prints JSON)

  DATABASE_URL selects the PostgreSQL (unset: the embedded one, data in BOITATA_DATA_DIR, default .boitata);
  TRINO_URL selects Trino for \`query\` (unset: the DuckDB file DUCKDB_PATH, default .boitata/warehouse.duckdb).

  migrate                                   create the database if needed and apply migrations
  tenants add <id> [--name NAME]            create a tenant (id: lowercase letters, digits, _ -)
  tenants list
  connections add --tenant T --name N [--table DEFAULT] [--allowed-ips CIDR,...] [--rate-limit N]
                                            create a connection; prints its ingest token ONCE
  connections list [--tenant T]
  connections update <connection-id> [--allowed-ips CIDR,...|none] [--rate-limit N] [--table T|none]
                                            change settings; gates apply them within GATE_CONFIG_TTL_SECONDS
  connections revoke <connection-id>
  keys add --tenant T --kind metrics|source [--source-id S] [--rate-limit N]
                                            create an API key; prints the key ONCE
  keys list [--tenant T]
  keys revoke <key-id>
  keys rotate <key-id> [--overlap SECONDS]  new key now, old key valid for the overlap (default 86400)
  dead-letters list [--tenant T] [--all]    messages the processor could never load, with the reason
                                            (--all includes those already replayed)
  dead-letters replay <id>... | --tenant T  put them back in the queue (rows that did land are not written twice)
  columns list --tenant T --table X         a table's columns: types, aliases, descriptions, tags, PII flags
  aliases list --tenant T [--table X]       field names mapped onto columns, and who decided (typo, dictionary, model)
  aliases remove --tenant T --table X <alias>
                                            undo an alias: from the next batch on, the field gets its own column
  query "SELECT ..."                        run SQL on the warehouse (Trino or DuckDB) and print the rows
`;

const OPTIONS = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  name: { type: 'string' },
  tenant: { type: 'string' },
  table: { type: 'string' },
  'allowed-ips': { type: 'string' },
  'rate-limit': { type: 'string' },
  kind: { type: 'string' },
  'source-id': { type: 'string' },
  overlap: { type: 'string' },
  all: { type: 'boolean', default: false },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

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
    if (error instanceof ProvisionError || error instanceof UsageError) {
      process.stderr.write(`boitata: ${error.message}\n`);
      return error instanceof UsageError ? 2 : 1;
    }
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

class UsageError extends Error {}

async function run(db: pg.Pool, out: Output, group: string, action: string | undefined, rest: string[], values: Values): Promise<void> {
  const command = `${group} ${action ?? ''}`.trim();
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
    case 'connections add': {
      const { connection, token } = await addConnection(db, {
        tenant: required(values.tenant, '--tenant'),
        name: required(values.name, '--name'),
        table: values.table,
        allowedIps: values['allowed-ips']?.split(',').filter((s) => s.trim() !== ''),
        rateLimitPerMinute: optionalInt(values['rate-limit'], '--rate-limit'),
      });
      return out.print({ ...connection, token }, () =>
        [
          `Created connection ${connection.id} (${connection.tenant_id}/${connection.name}).`,
          `Ingest token (shown once, store it now): ${token}`,
          `Push:    curl -X POST "$EDGE/v1/ingest/push/${token}?table=${connection.default_table ?? 'events'}" -H "x-tenant-id: ${connection.tenant_id}" -H "content-type: application/json" -d '[{"id":1}]'`,
          `Webhook: curl -X POST "$EDGE/api/webhook/${connection.default_table ?? 'events'}" -H "Authorization: Bearer ${token}" -H "content-type: application/json" -d '{"id":1}'`,
        ].join('\n'),
      );
    }
    case 'connections list': {
      const connections = await listConnections(db, values.tenant ? { tenant: values.tenant } : {});
      return out.print(connections, () =>
        table(connections as never, ['id', 'tenant_id', 'name', 'token_prefix', 'default_table', 'rate_limit_per_minute', 'allowed_ips', 'revoked_at']),
      );
    }
    case 'connections update': {
      const allowed = values['allowed-ips'];
      const connection = await updateConnection(db, required(rest[0], 'connection id'), {
        allowedIps: allowed === undefined ? undefined : allowed === 'none' ? [] : allowed.split(',').filter((s) => s.trim() !== ''),
        rateLimitPerMinute: optionalInt(values['rate-limit'], '--rate-limit'),
        table: values.table === undefined ? undefined : values.table === 'none' ? null : values.table,
      });
      return out.print(connection, () =>
        `Updated connection ${connection.id}: rate limit ${connection.rate_limit_per_minute}/min, default table ${connection.default_table ?? '-'}, allowed IPs ${connection.allowed_ips.join(',') || 'any'}. Gates apply it within GATE_CONFIG_TTL_SECONDS (default 30 s).`,
      );
    }
    case 'connections revoke': {
      const connection = await revokeConnection(db, required(rest[0], 'connection id'));
      return out.print(connection, () => `Revoked connection ${connection.id}; the edge refuses its token within GATE_CONFIG_TTL_SECONDS (default 30 s).`);
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
      const overlap = optionalInt(values.overlap, '--overlap') ?? 86_400;
      const { key, secret, previous } = await rotateApiKey(db, required(rest[0], 'key id'), overlap);
      return out.print({ ...key, key: secret, previous }, () =>
        `New key ${key.id} (shown once, store it now): ${secret}\nOld key ${previous.id} (${previous.key_prefix}…) stops working at ${previous.expires_at?.toISOString()}.`,
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

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`${what} is required (see boitata --help)`);
  return value;
}

function optionalInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a whole number`);
  return Number(value);
}
