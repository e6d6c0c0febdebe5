// Which warehouse the configuration selects: Trino/Iceberg when TRINO_URL is set, else the embedded DuckDB file.
import { join } from 'node:path';
import type { ProcessorConfig } from '../config.ts';
import { redactUrl } from '../../shared/redact-url.ts';
import { DuckDbWarehouse } from './duckdb-warehouse.ts';
import { TrinoWarehouse } from './trino-warehouse.ts';
import type { Warehouse } from './warehouse.ts';

/** Where the DuckDB file lives when no Trino is configured. */
export const duckDbPath = (config: ProcessorConfig): string => config.DUCKDB_PATH ?? join(config.BOITATA_DATA_DIR, 'warehouse.duckdb');

/** Trino/Iceberg when TRINO_URL is set; otherwise the embedded DuckDB file. */
export function createWarehouse(
  config: ProcessorConfig,
  options: { idleCloseMs?: number; readOnly?: boolean } = {},
): { warehouse: Warehouse; description: string } {
  if (config.TRINO_URL === undefined) {
    const path = duckDbPath(config);
    return {
      warehouse: new DuckDbWarehouse({ path, schemaPrefix: config.TRINO_SCHEMA_PREFIX, ...options }),
      description: `DuckDB file ${path}`,
    };
  }
  return {
    warehouse: new TrinoWarehouse({
      url: config.TRINO_URL,
      user: config.TRINO_USER,
      password: config.TRINO_PASSWORD,
      statementTimeoutMs: config.TRINO_STATEMENT_TIMEOUT_SECONDS * 1000,
      catalog: config.TRINO_CATALOG,
      schemaPrefix: config.TRINO_SCHEMA_PREFIX,
      maxQueryLength: config.TRINO_MAX_QUERY_LENGTH,
      snapshotRetention: config.MAINTENANCE_SNAPSHOT_RETENTION,
    }),
    description: `Trino ${redactUrl(config.TRINO_URL)} (catalog ${config.TRINO_CATALOG})`,
  };
}
