// Which tables retention touches, and up to when (pure): every registered table whose effective retention is set gets
// a cutoff, now − retention; a table without one is left alone. Its quarantine table (not registered: it exists only
// once a row was quarantined) gets the same cutoff, and a missing one counts 0 rows.
import { canonicalTimestamp } from '../schema/column-types.ts';
import { resolvePolicy, type PolicyRow } from './policies.ts';
import { isQuarantineTable, quarantineTableName } from './quarantine-table.ts';

export interface RegisteredTable {
  tenantId: string;
  table: string;
}

export interface RetentionTarget {
  tenantId: string;
  table: string;
  /** whose policy applies: the table itself, or the table a quarantine table belongs to */
  policyTable: string;
  retentionSeconds: number;
  /** the table's own setting or the tenant's default */
  retentionFrom: 'table' | 'tenant';
  /** rows received before this are expired: canonical timestamp text in UTC (see canonicalTimestamp) */
  cutoff: string;
  /**
   * The UTC midnight before the cutoff, deleted up to first: on Iceberg tables partitioned by day of
   * `_boitata_received_at`, a delete on a day boundary drops whole files (no delete file is written), so only the
   * cutoff's own day gets row-level deletes. null when the cutoff is a midnight itself.
   */
  dayCutoff: string | null;
}

export type PolicySetting = Pick<PolicyRow, 'tenantId' | 'table' | 'contract' | 'retentionSeconds'>;

/**
 * Registered tables and the policies of their tenants (`table` '' is a tenant's default) → the tables to expire,
 * sorted by tenant and table, each followed by its quarantine table with the same cutoff. `now` is one instant for
 * the whole pass.
 */
export function planRetention(tables: readonly RegisteredTable[], policies: readonly PolicySetting[], now: Date): RetentionTarget[] {
  const byKey = new Map(policies.map((policy) => [policyKey(policy.tenantId, policy.table), policy]));
  const asRow = (policy: PolicySetting | undefined) =>
    policy === undefined ? null : { contract: policy.contract, retention_seconds: policy.retentionSeconds };
  const targets: RetentionTarget[] = [];
  const sorted = [...tables].sort((a, b) => compare(a.tenantId, b.tenantId) || compare(a.table.toLowerCase(), b.table.toLowerCase()));
  for (const { tenantId, table } of sorted) {
    // A quarantine table is reached through its table (the registry never holds one; a stray entry would repeat it).
    if (isQuarantineTable(table)) continue;
    const policyTable = table.toLowerCase();
    const effective = resolvePolicy(asRow(byKey.get(policyKey(tenantId, policyTable))), asRow(byKey.get(policyKey(tenantId, ''))));
    if (effective.retentionSeconds === null || effective.retentionFrom === 'default') continue;
    const expiry = {
      policyTable,
      retentionSeconds: effective.retentionSeconds,
      retentionFrom: effective.retentionFrom,
      cutoff: retentionCutoff(now, effective.retentionSeconds),
      dayCutoff: dayBefore(now, effective.retentionSeconds),
    };
    targets.push({ tenantId, table, ...expiry }, { tenantId, table: quarantineTableName(table), ...expiry });
  }
  return targets;
}

/** now − retention as canonical timestamp text in UTC (what the warehouse port compares `_boitata_received_at` with). */
export function retentionCutoff(now: Date, retentionSeconds: number): string {
  return canonicalTimestamp(new Date(now.getTime() - retentionSeconds * 1000).toISOString());
}

function dayBefore(now: Date, retentionSeconds: number): string | null {
  const cutoff = now.getTime() - retentionSeconds * 1000;
  const midnight = cutoff - (((cutoff % 86_400_000) + 86_400_000) % 86_400_000);
  return midnight === cutoff ? null : canonicalTimestamp(new Date(midnight).toISOString());
}

const policyKey = (tenantId: string, table: string) => `${tenantId}\u0000${table.toLowerCase()}`;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
