// `boitata tables set|policy` and `boitata tenants set`: a table's (or the tenant's default) schema contract and
// retention, and each table's effective settings with where they come from. Every change is audited, and a contract
// that moves on a registered table is written into its schema history (processors re-read it).
import type pg from 'pg';
import { cliActor } from '../processor/governance/audit.ts';
import { changePolicy, type PolicyChangeResult } from '../processor/governance/change-policy.ts';
import { isSchemaContract, parseRetention, SCHEMA_CONTRACTS, type SchemaContract } from '../processor/governance/policies.ts';
import { tenantPolicies } from '../processor/governance/table-policies.ts';
import { required, UsageError, type Values } from './arguments.ts';
import { tableOption, tenantOption } from './governance-options.ts';
import { table, type Output } from './output.ts';
import { unknownCommand } from './usage.ts';

/** What clears a setting, so the table follows the tenant's default (or the tenant's, the built-in). */
const INHERIT = 'inherit';

/** `tables set`, `tables policy` (also `tables show`), `tenants set`. */
export async function runPolicyCommand(db: pg.Pool, out: Output, command: string, rest: string[], values: Values): Promise<void> {
  if (rest.length > 0) throw new UsageError(`${command} takes no arguments (got ${JSON.stringify(rest[0]!.slice(0, 64))}): use --tenant, --table, …`);
  switch (command) {
    case 'tables set':
      return setCommand(db, out, values, tableOption(required(values.table, '--table')));
    case 'tenants set':
      if (values.table !== undefined) throw new UsageError('tenants set sets the tenant default: leave out --table (or use tables set)');
      return setCommand(db, out, values, '');
    case 'tables policy':
    case 'tables show':
      return showCommand(db, out, values);
    default:
      throw unknownCommand(command);
  }
}

/** The change the options ask for, or a usage error saying what to fix. Pure. */
export function policyChange(values: Pick<Values, 'contract' | 'retention'>): { contract?: SchemaContract | null; retentionSeconds?: number | null } {
  const change: { contract?: SchemaContract | null; retentionSeconds?: number | null } = {};
  if (values.contract === undefined && values.retention === undefined) {
    throw new UsageError(`give --contract ${SCHEMA_CONTRACTS.join('|')}|${INHERIT} and/or --retention 90d|36h|none|${INHERIT}`);
  }
  if (values.contract !== undefined) {
    const contract = values.contract.trim().toLowerCase();
    if (contract === INHERIT) change.contract = null;
    else if (isSchemaContract(contract)) change.contract = contract;
    else throw new UsageError(`--contract must be one of ${SCHEMA_CONTRACTS.join(', ')} or ${INHERIT}, not ${JSON.stringify(values.contract.slice(0, 64))}`);
  }
  if (values.retention !== undefined) {
    if (values.retention.trim().toLowerCase() === INHERIT) change.retentionSeconds = null;
    else {
      const parsed = parseRetention(values.retention);
      if (!parsed.ok) throw new UsageError(`--retention: ${parsed.message}`);
      change.retentionSeconds = parsed.seconds;
    }
  }
  return change;
}

async function setCommand(db: pg.Pool, out: Output, values: Values, tableName: string): Promise<void> {
  const change = policyChange(values);
  const tenantId = await tenantOption(db, values);
  const actor = cliActor(values['requested-by']);
  const result = await changePolicy(db, { tenantId, table: tableName, ...change, actor, via: 'cli' });
  const json = { tenant: tenantId, table: tableName === '' ? null : tableName, requested_by: actor, ...resultJson(result) };
  out.print(json, () => describeChange(tenantId, tableName, result));
}

const resultJson = (result: PolicyChangeResult) => ({ before: result.before, after: result.after, schema_versions: result.bumped });

function describeChange(tenantId: string, tableName: string, result: PolicyChangeResult): string {
  const what = tableName === '' ? `Tenant ${tenantId}'s default` : `Table ${tableName} of tenant ${tenantId}`;
  const shown = (value: string | null) => value ?? INHERIT;
  const lines = [
    `${what}: contract ${shown(result.before.contract)} → ${shown(result.after.contract)}, retention ${shown(result.before.retention)} → ${shown(result.after.retention)}.`,
  ];
  for (const bump of result.bumped)
    lines.push(`  ${bump.table}: contract ${bump.from} → ${bump.to} (schema version ${bump.version}); processors apply it from their next batch.`);
  lines.push(`Recorded in the audit trail. Effective settings: boitata tables policy --tenant ${tenantId}`);
  return lines.join('\n');
}

async function showCommand(db: pg.Pool, out: Output, values: Values): Promise<void> {
  const tenantId = await tenantOption(db, values);
  const only = values.table === undefined ? null : tableOption(values.table);
  const policies = await tenantPolicies(db, tenantId);
  const shown = only === null ? policies : { ...policies, tables: policies.tables.filter((t) => t.table === only) };
  out.print(shown, () => {
    const fallback = (value: string | null, builtIn: string) => value ?? `not set (${builtIn})`;
    const rows = shown.tables.map((t) => ({
      ...t,
      contract: `${t.contract} (${t.contract_from})`,
      retention: `${t.retention} (${t.retention_from})`,
      state: t.registered ? 'exists' : 'no rows yet',
    }));
    return [
      `Tenant ${tenantId}: default contract ${fallback(shown.tenant_default.contract, 'evolve')}, default retention ${fallback(shown.tenant_default.retention, 'none')}.`,
      table(rows, ['table', 'contract', 'retention', 'state']),
    ].join('\n');
  });
}
