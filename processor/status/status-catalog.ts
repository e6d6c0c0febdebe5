// The catalog slices the status page shows: a page of tenants (a summary line each), a page of one tenant's tables
// (counts and the first columns and aliases), one table's columns and aliases a page at a time, and the tables
// near the column cap. Every read has a LIMIT: nothing reads a whole catalog table into memory.
import type pg from 'pg';
import { explainAlias } from './explain-alias.ts';
import { STATUS_LIMITS as L } from './status-view.ts';

export interface ColumnStatus {
  logical: string;
  physical: string;
  type: string;
  origin: string;
  pii: boolean;
  /** 'name' | 'values' | 'model' when PII */
  pii_source: string | null;
  description: string | null;
  tags: string[];
}

export interface AliasStatus {
  field: string;
  column: string;
  decided_by: string;
  /** why, in words: "edit distance 1", "synonyms (phone)", "model gpt-x, confidence 0.93" */
  why: string;
  created_at: string;
}

export interface TableStatus {
  name: string;
  warehouse_table: string;
  schema_version: number;
  created_at: string;
  last_loaded_at: string | null;
  /** data columns (metadata columns aside), against MAX_COLUMNS_PER_TABLE */
  column_count: number;
  pii_count: number;
  alias_count: number;
  /** column_count ≥ STATUS_LIMITS.columnWarningAt */
  near_column_cap: boolean;
  /** a slice of the columns in the order they were added, from index columns_from (0-based) */
  columns_from: number;
  columns: ColumnStatus[];
  /** a slice of the aliases by name, from index aliases_from */
  aliases_from: number;
  aliases: AliasStatus[];
}

export interface ColumnWarning {
  tenant_id: string;
  table: string;
  columns: number;
}

// The name and the table count of a page of tenants: the page is cut first, so only its tenants are counted.
const TENANTS_SQL = `
SELECT t.id, left(t.name, $3) AS name, (SELECT count(*)::int FROM boitata_tables b WHERE b.tenant_id = t.id) AS table_count
  FROM (SELECT id, name FROM boitata_tenants ORDER BY id LIMIT $1 OFFSET $2) t ORDER BY t.id`;

const TENANT_SQL = `
SELECT t.id, left(t.name, $2) AS name, (SELECT count(*)::int FROM boitata_tables b WHERE b.tenant_id = t.id) AS table_count
  FROM boitata_tenants t WHERE t.id = $1`;

// A page of one tenant's tables (or the one table when $4 is set) with their counts, counted for that page only.
const TABLES_SQL = `
SELECT b.table_name, b.warehouse_schema, b.warehouse_table, b.schema_version, b.created_at, b.last_loaded_at,
       c.column_count, c.pii_count, (SELECT count(*)::int FROM boitata_aliases a WHERE a.tenant_id = b.tenant_id AND a.table_name = b.table_name) AS alias_count
  FROM (SELECT * FROM boitata_tables WHERE tenant_id = $1 AND ($4::text IS NULL OR table_name = $4) ORDER BY table_name LIMIT $2 OFFSET $3) b
 CROSS JOIN LATERAL (SELECT count(*)::int AS column_count, (count(*) FILTER (WHERE pii))::int AS pii_count
                       FROM boitata_columns c WHERE c.tenant_id = b.tenant_id AND c.table_name = b.table_name) c
 ORDER BY b.table_name`;

// At most $3 columns of each named table, from $4; long texts cut in the database, so they never travel whole.
const COLUMNS_SQL = `
SELECT p.table_name, c.*
  FROM unnest($2::text[]) AS p (table_name)
 CROSS JOIN LATERAL (
   SELECT left(logical_name, $5) AS logical_name, left(physical_name, $5) AS physical_name, left(data_type, $5) AS data_type, origin, pii, pii_source,
          left(description, $6) AS description, (SELECT coalesce(array_agg(left(tag, $7)), '{}') FROM unnest(tags[1:$8]) AS tag) AS tags,
          length(description) > $6 AS description_cut
     FROM boitata_columns c WHERE c.tenant_id = $1 AND c.table_name = p.table_name
    ORDER BY added_in_version, logical_name LIMIT $3 OFFSET $4) c`;

const ALIASES_SQL = `
SELECT p.table_name, a.*
  FROM unnest($2::text[]) AS p (table_name)
 CROSS JOIN LATERAL (
   SELECT left(alias, $5) AS alias, left(column_name, $5) AS column_name, decided_by, evidence, created_at
     FROM boitata_aliases a WHERE a.tenant_id = $1 AND a.table_name = p.table_name
    ORDER BY alias LIMIT $3 OFFSET $4) a`;

// Tables at or past the warning, largest first; the count runs in the database over the primary key.
const COLUMN_WARNINGS_SQL = `
SELECT tenant_id, table_name, count(*)::int AS columns, count(*) OVER ()::int AS total
  FROM boitata_columns WHERE ($1::text IS NULL OR tenant_id = $1)
 GROUP BY tenant_id, table_name HAVING count(*) >= $2
 ORDER BY count(*) DESC, tenant_id, table_name LIMIT $3`;

export interface TenantRow {
  id: string;
  name: string;
  table_count: number;
}

export async function readTenantsPage(client: pg.ClientBase, page: number): Promise<{ total: number; rows: TenantRow[] }> {
  const { rows } = await client.query<TenantRow>(TENANTS_SQL, [L.tenantsPerPage, (page - 1) * L.tenantsPerPage, L.nameLength]);
  const total = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM boitata_tenants')).rows[0]!.n;
  return { total, rows };
}

export async function readTenant(client: pg.ClientBase, tenant: string): Promise<TenantRow | null> {
  return (await client.query<TenantRow>(TENANT_SQL, [tenant, L.nameLength])).rows[0] ?? null;
}

/**
 * A page of the tenant's tables, each with the first columns and aliases (`table` undefined), or the one table
 * with the page'th slice of its columns and aliases.
 */
export async function readTables(client: pg.ClientBase, tenant: string, page: number, table?: string): Promise<{ total: number; tables: TableStatus[] }> {
  const one = table !== undefined;
  const { rows } = await client.query<TableRow>(TABLES_SQL, [tenant, one ? 1 : L.tablesPerPage, one ? 0 : (page - 1) * L.tablesPerPage, table ?? null]);
  const names = rows.map((row) => row.table_name);
  const [columnsLimit, columnsFrom] = one ? [L.columnsPerPage, (page - 1) * L.columnsPerPage] : [L.columnPreview, 0];
  const [aliasesLimit, aliasesFrom] = one ? [L.aliasesPerPage, (page - 1) * L.aliasesPerPage] : [L.aliasPreview, 0];
  const columns =
    names.length === 0
      ? []
      : (
          await client.query<ColumnRow>(COLUMNS_SQL, [
            tenant,
            names,
            columnsLimit,
            columnsFrom,
            L.nameLength,
            L.descriptionLength,
            L.tagLength,
            L.tagsPerColumn,
          ])
        ).rows;
  const aliases = names.length === 0 ? [] : (await client.query<AliasRow>(ALIASES_SQL, [tenant, names, aliasesLimit, aliasesFrom, L.nameLength])).rows;
  const total = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM boitata_tables WHERE tenant_id = $1', [tenant])).rows[0]!.n;
  return {
    total,
    tables: rows.map((row) => ({
      name: row.table_name,
      warehouse_table: `${row.warehouse_schema}.${row.warehouse_table}`,
      schema_version: row.schema_version,
      created_at: row.created_at.toISOString(),
      last_loaded_at: row.last_loaded_at?.toISOString() ?? null,
      column_count: row.column_count,
      pii_count: row.pii_count,
      alias_count: row.alias_count,
      near_column_cap: row.column_count >= L.columnWarningAt,
      columns_from: columnsFrom,
      columns: columns
        .filter((c) => c.table_name === row.table_name)
        .map((c) => ({
          logical: c.logical_name,
          physical: c.physical_name,
          type: c.data_type,
          origin: c.origin,
          pii: c.pii,
          pii_source: c.pii_source,
          description: c.description === null ? null : c.description_cut ? `${c.description}…` : c.description,
          tags: c.tags,
        })),
      aliases_from: aliasesFrom,
      aliases: aliases
        .filter((a) => a.table_name === row.table_name)
        .map((a) => ({
          field: a.alias,
          column: a.column_name,
          decided_by: a.decided_by,
          why: explainAlias(a.decided_by, a.evidence),
          created_at: a.created_at.toISOString(),
        })),
    })),
  };
}

export async function readColumnWarnings(client: pg.ClientBase, tenant: string | null): Promise<{ total: number; tables: ColumnWarning[] }> {
  const { rows } = await client.query<{ tenant_id: string; table_name: string; columns: number; total: number }>(COLUMN_WARNINGS_SQL, [
    tenant,
    L.columnWarningAt,
    L.columnWarnings,
  ]);
  return { total: rows[0]?.total ?? 0, tables: rows.map((row) => ({ tenant_id: row.tenant_id, table: row.table_name, columns: row.columns })) };
}

interface TableRow {
  table_name: string;
  warehouse_schema: string;
  warehouse_table: string;
  schema_version: number;
  created_at: Date;
  last_loaded_at: Date | null;
  column_count: number;
  pii_count: number;
  alias_count: number;
}
interface ColumnRow {
  table_name: string;
  logical_name: string;
  physical_name: string;
  data_type: string;
  origin: string;
  pii: boolean;
  pii_source: string | null;
  description: string | null;
  description_cut: boolean | null;
  tags: string[];
}
interface AliasRow {
  table_name: string;
  alias: string;
  column_name: string;
  decided_by: string;
  evidence: unknown;
  created_at: Date;
}
