// A tenant's tables in the warehouse: found (the registered ones, and whatever else its schema holds, such as the
// quarantine tables `_boitata_quarantine_*`), counted, and dropped with the schema. Each step can be run again.
import { quoteIdentifier, quoteString } from '../warehouse/sql-quote.ts';
import type { TableRef, Warehouse } from '../warehouse/warehouse.ts';

export interface WarehouseTable {
  name: string;
  /** in boitata_tables (false: found only in the schema, e.g. a quarantine table) */
  registered: boolean;
  /** rows in the warehouse; null when the table is not there (registered, never created or already dropped) */
  rows: number | null;
}

export interface WarehouseInventory {
  catalog: string;
  schema: string;
  tables: WarehouseTable[];
}

/** The tables of the tenant's schema, as the warehouse's information_schema lists them (none when there is no schema). */
export async function listSchemaTables(warehouse: Warehouse, tenantId: string): Promise<string[]> {
  const ref = warehouse.tableRef(tenantId, '');
  // Unqualified: DuckDB lists every attached file there (hence the catalog filter); Trino's session catalog is the one.
  const { rows } = await warehouse.query(
    `SELECT table_name FROM information_schema.tables WHERE table_catalog = ${quoteString(ref.catalog)} AND table_schema = ${quoteString(ref.schema)} ORDER BY table_name`,
  );
  return rows.map((row) => String(row[0]));
}

const qualified = (ref: TableRef) => `${quoteIdentifier(ref.catalog)}.${quoteIdentifier(ref.schema)}.${quoteIdentifier(ref.table)}`;

/** `registered` ∪ what the schema holds, each with its row count. */
export async function inventoryWarehouse(warehouse: Warehouse, tenantId: string, registered: readonly string[]): Promise<WarehouseInventory> {
  const present = new Set(await listSchemaTables(warehouse, tenantId));
  const names = [...new Set([...registered, ...present])].sort();
  const tables: WarehouseTable[] = [];
  for (const name of names) {
    let rows: number | null = null;
    if (present.has(name)) {
      const result = await warehouse.query(`SELECT count(*) FROM ${qualified(warehouse.tableRef(tenantId, name))}`);
      rows = Number(result.rows[0]?.[0] ?? 0);
    }
    tables.push({ name, registered: registered.includes(name), rows });
  }
  const ref = warehouse.tableRef(tenantId, '');
  return { catalog: ref.catalog, schema: ref.schema, tables };
}

/**
 * Drops `tables` and whatever else the schema still holds (a table created meanwhile by a batch that was in flight),
 * then the schema. Dropping what is not there does nothing, so a re-run after a crash finishes the job.
 */
export async function dropTenantWarehouse(warehouse: Warehouse, tenantId: string, tables: readonly string[]): Promise<string[]> {
  const dropped = new Set<string>();
  for (const name of tables) {
    await warehouse.dropTable(warehouse.tableRef(tenantId, name));
    dropped.add(name);
  }
  for (const name of await listSchemaTables(warehouse, tenantId)) {
    await warehouse.dropTable(warehouse.tableRef(tenantId, name));
    dropped.add(name);
  }
  await warehouse.dropSchema(warehouse.tableRef(tenantId, ''));
  return [...dropped].sort();
}
