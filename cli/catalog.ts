// The catalog for operators: a table's columns (types, aliases, descriptions, tags, PII flags), and its aliases.
import type pg from 'pg';
import { withTransaction } from '../database/with-transaction.ts';
import { bumpVersion } from '../processor/schema/catalog-sql.ts';
import { ProvisionError } from './provision-error.ts';

export interface CatalogColumn {
  column: string;
  physical: string;
  type: string;
  pii: boolean;
  pii_source: string | null;
  description: string | null;
  tags: string[];
  aliases: string[];
  first_seen_at: Date;
}

export async function listColumns(db: pg.Pool, tenantId: string, table: string): Promise<CatalogColumn[]> {
  const { rows } = await db.query<CatalogColumn>(
    `SELECT c.logical_name AS column, c.physical_name AS physical, c.data_type AS type, c.pii, c.pii_source, c.description, c.tags,
            coalesce(array_agg(a.alias ORDER BY a.alias) FILTER (WHERE a.alias IS NOT NULL), '{}') AS aliases, c.first_seen_at
       FROM boitata_columns c
       LEFT JOIN boitata_aliases a ON a.tenant_id = c.tenant_id AND a.table_name = c.table_name AND a.column_name = c.logical_name
      WHERE c.tenant_id = $1 AND c.table_name = $2
      GROUP BY c.tenant_id, c.table_name, c.logical_name
      ORDER BY c.added_in_version, c.logical_name`,
    [tenantId, table.toLowerCase()],
  );
  if (rows.length === 0) {
    const known = await db.query('SELECT 1 FROM boitata_tables WHERE tenant_id = $1 AND table_name = $2', [tenantId, table.toLowerCase()]);
    if (known.rowCount === 0) throw new ProvisionError(`no table "${table}" for tenant "${tenantId}" (tables appear when their first rows land)`);
  }
  return rows;
}

export interface AliasInfo {
  table_name: string;
  alias: string;
  column_name: string;
  decided_by: string;
  evidence: Record<string, unknown>;
  created_at: Date;
}

export async function listAliases(db: pg.Pool, tenantId: string, table?: string): Promise<AliasInfo[]> {
  const { rows } = await db.query<AliasInfo>(
    `SELECT table_name, alias, column_name, decided_by, evidence, created_at FROM boitata_aliases
      WHERE tenant_id = $1 AND ($2::text IS NULL OR table_name = $2) ORDER BY table_name, alias`,
    [tenantId, table?.toLowerCase() ?? null],
  );
  return rows;
}

/**
 * Undoes an alias: from the next batch on the field gets its own column. Rows already written keep the value
 * in the aliased column (the registry's version history says since when).
 */
export async function removeAlias(db: pg.Pool, tenantId: string, table: string, alias: string): Promise<AliasInfo> {
  const name = table.toLowerCase();
  return withTransaction(db, async (client) => {
    const {
      rows: [removed],
    } = await client.query<AliasInfo>(
      `DELETE FROM boitata_aliases WHERE tenant_id = $1 AND table_name = $2 AND alias = $3
       RETURNING table_name, alias, column_name, decided_by, evidence, created_at`,
      [tenantId, name, alias],
    );
    if (removed === undefined) throw new ProvisionError(`no alias "${alias}" on ${tenantId}/${table}`);
    // Remembered, so no rule (typo, dictionary, the model's cached answer) proposes the same pair again.
    await client.query(`INSERT INTO boitata_alias_rejections (tenant_id, table_name, alias, column_name) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
      tenantId,
      name,
      alias,
      removed.column_name,
    ]);
    // Processors re-read a table whose version moved: the removal applies to their next batch.
    await bumpVersion(client, tenantId, name, [{ kind: 'remove_alias', alias, column: removed.column_name, by: 'operator' }], null);
    return removed;
  });
}
