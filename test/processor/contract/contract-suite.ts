// What every warehouse contract file shares: the suite run once per adapter (DuckDB always, Trino/Iceberg when
// reachable) with its warehouse and helpers, and the metadata columns a table has had over time.
import { afterAll, describe } from 'vitest';
import type { ColumnType } from '../../../processor/schema/column-types.ts';
import type { QueryResult, TableRef, Warehouse } from '../../../processor/warehouse/warehouse.ts';
import { duckdb, newTenant, trino, TS, type Subject } from './subjects.ts';

export const columnsOf = (types: ReadonlyMap<string, ColumnType>) => [...types].map(([physical, type]) => ({ physical, type }));

/** The metadata every table had before the verified-credential columns: what an older table holds. */
export const METADATA_BEFORE_CREDENTIAL = [
  ['_boitata_message_id', 'varchar'],
  ['_boitata_row_id', 'integer'],
  ['_boitata_received_at', TS],
  ['_boitata_tenant_id', 'varchar'],
  ['_boitata_endpoint', 'varchar'],
  ['_boitata_sequence', 'bigint'],
  ['_boitata_rescue', 'varchar'],
] as const;
export const CREDENTIAL_METADATA = [
  ['_boitata_credential', 'varchar'],
  ['_boitata_source_id', 'varchar'],
] as const;
/** The metadata every table had before the provider provenance columns (issue 11). */
export const METADATA_BEFORE_PROVENANCE = [...METADATA_BEFORE_CREDENTIAL, ...CREDENTIAL_METADATA] as const;
export const PROVENANCE_METADATA = [
  ['_boitata_provider', 'varchar'],
  ['_boitata_delivery_id', 'varchar'],
  ['_boitata_event_type', 'varchar'],
  ['_boitata_provider_timestamp', TS],
  ['_boitata_shop_domain', 'varchar'],
  ['_boitata_hook_id', 'varchar'],
] as const;
export const METADATA = [...METADATA_BEFORE_PROVENANCE, ...PROVENANCE_METADATA] as const;
export const PROVENANCE_SELECT = '_boitata_provider, _boitata_delivery_id, _boitata_event_type, _boitata_shop_domain, _boitata_hook_id';

export interface ContractSuite {
  warehouse: Warehouse;
  /** A fresh table with these data columns, in a fresh tenant. */
  freshTable(types: ReadonlyMap<string, ColumnType>, table?: string): Promise<TableRef>;
  rowsOf(sql: string): Promise<QueryResult['rows']>;
  /**
   * DDL or DML the port does not offer, as an operator would run it. Queued behind a port call so DuckDB's
   * `query` runs on the open read-write connection (once the file is idle-closed it would open read-only).
   */
  runByHand(ref: TableRef, sql: string): Promise<QueryResult>;
}

/** `body`'s tests once per adapter; the Trino half is skipped, saying why, when no Trino is ready. */
export function describeContract(topic: string, body: (subject: Subject, suite: ContractSuite) => void): void {
  for (const subject of [duckdb, trino]) {
    const suite = subject.skipReason === null ? describe : describe.skip;
    suite(`warehouse contract, ${topic}: ${subject.title}${subject.skipReason === null ? '' : ` [SKIPPED: ${subject.skipReason}]`}`, () => {
      // Opening only keeps the settings (no connection, no file until the first call), so a skipped suite costs nothing.
      const warehouse = subject.open();
      afterAll(async () => {
        await warehouse.close();
        subject.cleanup();
      });
      body(subject, {
        warehouse,
        async freshTable(types, table = 'events') {
          const ref = warehouse.tableRef(newTenant(), table);
          await warehouse.createTable(ref, columnsOf(types));
          return ref;
        },
        rowsOf: async (sql) => (await warehouse.query(sql)).rows,
        // The schema first: a CREATE TABLE sent beside it could reach Trino before the schema existed (NOT_FOUND:
        // Schema … not found, seen in CI). Then the statement queued behind a port call, so that DuckDB's `query`
        // runs on the read-write connection that call opened (alone, after an idle close, it would open read-only).
        async runByHand(ref, sql) {
          await warehouse.ensureSchema(ref);
          return (await Promise.all([warehouse.ensureSchema(ref), warehouse.query(sql)]))[1];
        },
      });
    });
  }
}
