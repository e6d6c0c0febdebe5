// Writes rows kept out of a table by its `quarantine` contract to the table's quarantine, beside it in the tenant's
// schema (quarantine-table.ts): created on first use, written with replaceRows so a retried or re-driven message
// never quarantines a row twice.
import type { LoadRow, Warehouse } from '../warehouse/warehouse.ts';
import { QUARANTINE_COLUMN_TYPES, quarantineTableName } from './quarantine-table.ts';

const QUARANTINE_TABLE_COLUMNS = new Map(QUARANTINE_COLUMN_TYPES.map((c) => [c.physical, c.type]));

export class QuarantineWriter {
  private readonly warehouse: Warehouse;
  /** quarantines this process created or found: CREATE TABLE IF NOT EXISTS runs once per table and process */
  private readonly known = new Set<string>();

  constructor(warehouse: Warehouse) {
    this.warehouse = warehouse;
  }

  /** The quarantine's name for `table` of `tenantId`, with the rows written; nothing when there are none. */
  async write(tenantId: string, table: string, rows: readonly LoadRow[]): Promise<void> {
    if (rows.length === 0) return;
    const ref = this.warehouse.tableRef(tenantId, quarantineTableName(table));
    const key = `${ref.schema}\u0000${ref.table}`;
    if (!this.known.has(key)) {
      // With the provenance columns: a verified provider delivery keeps what it said about itself here too.
      await this.warehouse.createTable(ref, QUARANTINE_COLUMN_TYPES, { provenance: true });
      this.known.add(key);
    }
    try {
      await this.warehouse.replaceRows(ref, rows, QUARANTINE_TABLE_COLUMNS, { provenance: true });
    } catch (error) {
      this.known.delete(key); // dropped meanwhile (an operator, a tenant deletion): the retry creates it again
      throw error;
    }
  }

  /** Forgets a quarantine (dropped by an operator or a tenant deletion): the next write creates it again. */
  forget(tenantId: string, table: string): void {
    const ref = this.warehouse.tableRef(tenantId, quarantineTableName(table));
    this.known.delete(`${ref.schema}\u0000${ref.table}`);
  }
}
