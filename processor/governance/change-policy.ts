// An operator's change of a table's (or a tenant's default) contract or retention, in one transaction: the policy
// row, the audit entry, and — for each registered table whose effective contract moves — a schema-history entry that
// bumps its version, so every processor re-reads the table (and its contract) before its next batch.
import type pg from 'pg';
import { withTransaction } from '../../database/with-transaction.ts';
import { bumpVersion, lockTable, type ContractHistoryEntry } from '../schema/catalog-sql.ts';
import { recordAudit, type AuditVia } from './audit.ts';
import { formatRetention, listPolicies, resolvePolicy, setPolicy, type PolicyRow, type SchemaContract } from './policies.ts';

export interface PolicyChangeRequest {
  tenantId: string;
  /** lower case; '' for the tenant's default */
  table: string;
  /** undefined: unchanged; null: inherit */
  contract?: SchemaContract | null;
  retentionSeconds?: number | null;
  actor: string;
  via: AuditVia;
}

/** A registered table whose effective contract moved, and its new schema version. */
export interface ContractBump {
  table: string;
  from: SchemaContract;
  to: SchemaContract;
  version: number;
}

export interface PolicyChangeResult {
  before: PolicySetting;
  after: PolicySetting;
  bumped: ContractBump[];
}

/** A policy row as people and the audit trail read it: null means inherited. */
export interface PolicySetting {
  contract: SchemaContract | null;
  retention: string | null;
}

const setting = (row: PolicyRow | null): PolicySetting => ({
  contract: row?.contract ?? null,
  retention: row?.retentionSeconds == null ? null : formatRetention(row.retentionSeconds),
});

type Own = { contract: SchemaContract | null; retention_seconds: number | null } | null;
const own = (row: PolicyRow | undefined | null): Own => (row == null ? null : { contract: row.contract, retention_seconds: row.retentionSeconds });

export async function changePolicy(pool: pg.Pool, request: PolicyChangeRequest): Promise<PolicyChangeResult> {
  const { tenantId, table, actor } = request;
  return withTransaction(pool, async (client) => {
    // One policy change of a tenant at a time: the tables' effective contracts are computed from what is read here.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7362847))', [`policy/${tenantId}`]);
    const policies = await listPolicies(client, tenantId);
    const byTable = new Map(policies.map((p) => [p.table, p]));
    const { before, after } = await setPolicy(
      client,
      tenantId,
      table,
      {
        ...(request.contract === undefined ? {} : { contract: request.contract }),
        ...(request.retentionSeconds === undefined ? {} : { retentionSeconds: request.retentionSeconds }),
      },
      actor,
    );
    const tenantBefore = own(byTable.get(''));
    const tenantAfter = table === '' ? own(after) : tenantBefore;
    // The registered tables this change can reach: the one named, or every table of the tenant.
    const { rows: registered } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM boitata_tables WHERE tenant_id = $1 AND ($2 = '' OR table_name = $2) ORDER BY table_name`,
      [tenantId, table],
    );
    const bumped: ContractBump[] = [];
    for (const { table_name: name } of registered) {
      const ownBefore = own(byTable.get(name));
      const ownAfter = name === table ? own(after) : ownBefore;
      const from = resolvePolicy(ownBefore, tenantBefore).contract;
      const to = resolvePolicy(ownAfter, tenantAfter).contract;
      if (from === to) continue;
      const entry: ContractHistoryEntry = { kind: 'set_contract', from, to, by: actor, scope: table === '' ? 'tenant_default' : 'table' };
      await lockTable(client, tenantId, name);
      bumped.push({ table: name, from, to, version: await bumpVersion(client, tenantId, name, [entry], null) });
    }
    const result = { before: setting(before), after: setting(after), bumped };
    await recordAudit(client, {
      actor,
      via: request.via,
      action: 'policy.set',
      tenantId,
      details: {
        table: table === '' ? null : table,
        scope: table === '' ? 'tenant_default' : 'table',
        before: result.before,
        after: result.after,
        schema_versions: bumped.map((b) => ({ table: b.table, from: b.from, to: b.to, version: b.version })),
      },
    });
    return result;
  });
}
