// The statement the schema registry's cache check runs before each batch: the table's schema version and its
// effective contract (the table's own, else the tenant's default, else `evolve`) in one round trip, so a contract
// changed for the table or for the whole tenant applies to the next batch even when no version moved.
import type pg from 'pg';
import type { SchemaContract } from '../governance/policies.ts';

type Sql = Pick<pg.ClientBase, 'query'>;

export interface VersionAndContract {
  /** null when the registry does not know the table */
  version: number | null;
  contract: SchemaContract;
}

export async function versionAndContract(db: Sql, tenantId: string, table: string): Promise<VersionAndContract> {
  // The table's own row sorts before the tenant's default ('' sorts first ascending, so descending puts it last).
  const { rows } = await db.query<{ schema_version: number | null; contract: SchemaContract | null }>(
    `SELECT (SELECT schema_version FROM boitata_tables WHERE tenant_id = $1 AND table_name = $2) AS schema_version,
            (SELECT contract FROM boitata_policies
              WHERE tenant_id = $1 AND table_name IN ('', $2) AND contract IS NOT NULL
              ORDER BY table_name DESC LIMIT 1) AS contract`,
    [tenantId, table.toLowerCase()],
  );
  const row = rows[0];
  return { version: row?.schema_version ?? null, contract: row?.contract ?? 'evolve' };
}
