// Where a tenant's rows live in Postgres, and the order they are deleted in: rows before the rows they reference, the
// tenant row last. The audit trail, erasure receipts and deletion receipts are kept: they outlive the tenant.
import type pg from 'pg';
import { quoteIdentifier } from '../warehouse/sql-quote.ts';

interface Store {
  table: string;
  /** the tenant's rows; $1 is the tenant id */
  where: string;
}

const BY_TENANT = 'tenant_id = $1';
const BY_CONNECTION = 'connection_id IN (SELECT id FROM boitata_connections WHERE tenant_id = $1)';

/** Every store Boitatá knows, in deletion order (cascades would take some of them; each is named for its count). */
export const TENANT_STORES: readonly Store[] = [
  { table: 'boitata_dead_letters', where: BY_TENANT },
  { table: 'boitata_inbound_queue', where: BY_TENANT },
  { table: 'boitata_aliases', where: BY_TENANT },
  { table: 'boitata_alias_rejections', where: BY_TENANT },
  { table: 'boitata_model_answers', where: BY_TENANT },
  { table: 'boitata_model_usage', where: BY_TENANT },
  { table: 'boitata_jobs', where: BY_TENANT },
  { table: 'boitata_policies', where: BY_TENANT },
  { table: 'boitata_schema_versions', where: BY_TENANT },
  { table: 'boitata_columns', where: BY_TENANT },
  { table: 'boitata_tables', where: BY_TENANT },
  { table: 'boitata_signing_secrets', where: BY_CONNECTION },
  { table: 'boitata_connection_allowed_ips', where: BY_CONNECTION },
  { table: 'boitata_connections', where: BY_TENANT },
  { table: 'boitata_api_keys', where: BY_TENANT },
  { table: 'boitata_tenants', where: 'id = $1' },
];

/** Kept after the tenant is gone: who did what (audit), what was erased, and the deletion's own receipt. */
export const KEPT_STORES: readonly string[] = ['boitata_audit', 'boitata_erasures', 'boitata_deleted_tenants'];

/**
 * The stores, with any other `boitata_*` table that has a `tenant_id` column (one a later migration added) first:
 * a table this list does not know yet still loses the tenant's rows rather than keeping them silently.
 */
export async function tenantStores(db: Pick<pg.ClientBase, 'query'>): Promise<Store[]> {
  const known = new Set([...TENANT_STORES.map((store) => store.table), ...KEPT_STORES]);
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name = 'tenant_id' AND table_name LIKE 'boitata\\_%'
      ORDER BY table_name`,
  );
  const others = rows.filter((row) => !known.has(row.table_name)).map((row) => ({ table: row.table_name, where: BY_TENANT }));
  return [...others, ...TENANT_STORES];
}

/** Rows per store (only stores with rows). */
export async function countTenantRows(db: Pick<pg.ClientBase, 'query'>, tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const store of await tenantStores(db)) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdentifier(store.table)} WHERE ${store.where}`, [tenantId]);
    if (rows[0]!.n > 0) counts[store.table] = rows[0]!.n;
  }
  return counts;
}

/** Deletes the tenant's rows store by store, in the caller's transaction; rows deleted per store (only stores with rows). */
export async function deleteTenantRows(client: Pick<pg.ClientBase, 'query'>, tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const store of await tenantStores(client)) {
    const { rowCount } = await client.query(`DELETE FROM ${quoteIdentifier(store.table)} WHERE ${store.where}`, [tenantId]);
    if ((rowCount ?? 0) > 0) counts[store.table] = rowCount ?? 0;
  }
  return counts;
}
