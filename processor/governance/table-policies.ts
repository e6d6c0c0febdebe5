// Each table's effective contract and retention, and where each comes from (`boitata tables policy`): the tables the
// registry knows and those a policy names before their first row, beside the tenant's default.
import type pg from 'pg';
import { formatRetention, listPolicies, resolvePolicy, type SchemaContract } from './policies.ts';

export interface TablePolicyLine {
  table: string;
  /** false: a policy names it, but no row has landed in it yet */
  registered: boolean;
  contract: SchemaContract;
  contract_from: 'table' | 'tenant' | 'default';
  retention: string;
  retention_from: 'table' | 'tenant' | 'default';
}

export interface TenantPolicies {
  tenant: string;
  /** the tenant's own default; null: not set (the built-in applies: evolve, keep for ever) */
  tenant_default: { contract: SchemaContract | null; retention: string | null };
  tables: TablePolicyLine[];
}

export async function tenantPolicies(db: Pick<pg.ClientBase, 'query'>, tenantId: string): Promise<TenantPolicies> {
  const policies = await listPolicies(db, tenantId);
  const { rows } = await db.query<{ table_name: string }>('SELECT table_name FROM boitata_tables WHERE tenant_id = $1', [tenantId]);
  const registered = new Set(rows.map((r) => r.table_name));
  const tenantRow = policies.find((p) => p.table === '') ?? null;
  const asOwn = (p: (typeof policies)[number] | null) => (p === null ? null : { contract: p.contract, retention_seconds: p.retentionSeconds });
  const names = [...new Set([...registered, ...policies.filter((p) => p.table !== '').map((p) => p.table)])].sort();
  const tables = names.map((table) => {
    const policy = resolvePolicy(asOwn(policies.find((p) => p.table === table) ?? null), asOwn(tenantRow));
    return {
      table,
      registered: registered.has(table),
      contract: policy.contract,
      contract_from: policy.contractFrom,
      retention: formatRetention(policy.retentionSeconds),
      retention_from: policy.retentionFrom,
    };
  });
  return {
    tenant: tenantId,
    tenant_default: {
      contract: tenantRow?.contract ?? null,
      retention: tenantRow?.retentionSeconds == null ? null : formatRetention(tenantRow.retentionSeconds),
    },
    tables,
  };
}
