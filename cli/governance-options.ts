// What the data-governance commands read the same way: the processor's configuration (they run with it), an existing
// tenant, a table name — each refused as a usage error (exit 2) that says what to fix.
import type pg from 'pg';
import { ConfigError, parseConfig, type ProcessorConfig } from '../processor/config.ts';
import { controlCharacterProblem } from '../processor/queue/message-filter.ts';
import { isReservedTableName, isValidTableName, TABLE_NAME_RULE } from '../shared/table-name.ts';
import { required, UsageError, type Values } from './arguments.ts';

/** The processor's configuration from the environment, as the processor reads it; a bad value is a usage error. */
export function processorConfig(env: NodeJS.ProcessEnv): ProcessorConfig {
  try {
    return parseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(`the processor's configuration is not valid here: ${error.message}`);
  }
}

/** `--table`, checked against the edge's rule and lowercased as the warehouse folds it. */
export function tableOption(name: string): string {
  if (isReservedTableName(name))
    throw new UsageError(`--table ${JSON.stringify(name.slice(0, 140))}: reserved for Boitatá's own tables (name the table, not its quarantine)`);
  if (!isValidTableName(name)) throw new UsageError(`--table ${JSON.stringify(name.slice(0, 140))}: ${TABLE_NAME_RULE}`);
  return name.toLowerCase();
}

/** `--tenant`, which must name an existing tenant. */
export async function tenantOption(db: pg.Pool, values: Values): Promise<string> {
  const tenant = required(values.tenant, '--tenant');
  const control = controlCharacterProblem(tenant);
  if (control !== null) throw new UsageError(`--tenant ${control}`);
  const found = await db.query('SELECT 1 FROM boitata_tenants WHERE id = $1', [tenant]);
  if (found.rowCount === 0) throw new UsageError(`no tenant ${JSON.stringify(tenant.slice(0, 64))} (see boitata tenants list)`);
  return tenant;
}
