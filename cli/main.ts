// The `boitata` operator command: migrate, tenants, connections, keys, signing-secret keys, dead letters, messages, catalog.
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { ensureDatabase } from '../database/ensure-database.ts';
import { migrate } from '../database/migrate.ts';
import { openPool } from '../database/open-pool.ts';
import { resolveDatabase } from '../database/resolve-database.ts';
import { cliActor } from '../processor/governance/audit.ts';
import { redactUrl } from '../shared/redact-url.ts';
import { generateSecretsKey, parseSecretsKey, SecretsKeyError, type SecretsKeyring } from '../shared/secret-box.ts';
import { OPTIONS, UsageError, type Values } from './arguments.ts';
import { runAuditCommand } from './audit-commands.ts';
import { runConnectionCommand, runTestDelivery } from './connection-commands.ts';
import { runKeyCommand } from './key-commands.ts';
import { runMessageCommand } from './message-commands.ts';
import { createOutput, type Output } from './output.ts';
import { runPolicyCommand } from './policy-commands.ts';
import { runCatalogCommand, runDeadLetterCommand } from './processor-state-commands.ts';
import { ProvisionError } from './provision-error.ts';
import { loadSecretsKeyring } from './secrets-key.ts';
import { rekeySigningSecrets } from './signing-secrets.ts';
import { runTenantCommand } from './tenants.ts';
import { unknownCommand, USAGE } from './usage.ts';

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
      process.stderr.write(
        `boitata: cannot use the database at ${redactUrl(url)} (${(error as Error).message}). Is Postgres running, and did you run \`boitata migrate\`?\n`,
      );
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
  switch (group) {
    case 'connections':
      return runConnectionCommand(db, out, action, rest, values, secretsKeyring);
    case 'keys':
      return runKeyCommand(db, out, command, rest, values);
    case 'dead-letters':
      return runDeadLetterCommand(db, out, command, rest, values);
    case 'messages':
      return runMessageCommand(db, out, command, rest, values);
    case 'columns':
    case 'aliases':
      return runCatalogCommand(db, out, command, rest, values);
    case 'erase':
    case 'erasures':
      return (await import('./erase-command.ts')).runEraseCommand(db, out, command, rest, values);
    case 'plan':
      return (await import('./plan-command.ts')).runPlanCommand(
        db,
        out,
        [action, ...rest].filter((part) => part !== undefined),
        values,
      );
    case 'retention':
      return (await import('./retention-command.ts')).runRetentionCommand(db, out, action, values);
    case 'tables':
      return runPolicyCommand(db, out, command, rest, values);
    case 'quarantine':
      return (await import('./quarantine-commands.ts')).runQuarantineCommand(db, out, command, rest, values);
  }
  switch (command) {
    case 'migrate': {
      const result = await migrate(db);
      return out.print(result, () => (result.applied.length === 0 ? 'Database is up to date.' : `Applied ${result.applied.join(', ')}.`));
    }
    case 'tenants add':
    case 'tenants list':
    case 'tenants delete':
      return runTenantCommand(db, out, command, rest, values);
    case 'audit list':
      return runAuditCommand(db, out, command, rest, values);
    case 'tenants set':
      return runPolicyCommand(db, out, command, rest, values);
    case 'secrets rekey': {
      const result = await rekeySigningSecrets(db, await secretsKeyring(), cliActor(values['requested-by']));
      return out.print(
        result,
        () =>
          `Re-sealed ${result.resealed} signing secret(s) with key ${result.key_id} (${result.already_current} already were` +
          `${result.expired_removed === 0 ? '' : `; ${result.expired_removed} expired one(s) deleted`}). Once the edge has this key as ` +
          'BOITATA_SECRETS_KEY and GATE_CONFIG_TTL_SECONDS have passed, remove BOITATA_SECRETS_KEY_PREVIOUS from the edge and the CLI.',
      );
    }
    default:
      throw unknownCommand(command);
  }
}
