// Periodic upkeep, done by one processor at a time: Iceberg compaction + snapshot expiry, and pruning of old queue rows.
import type pg from 'pg';
import type { Logger } from './logger.ts';
import type { Warehouse } from './warehouse/warehouse.ts';

const MAINTENANCE_LOCK = 7_362_846_003;
// A processor dedicated to some tenants (PROCESSOR_TENANTS) maintains only their tables, under its own lock,
// so it never makes the general processors skip their turn.

export interface MaintenanceResult {
  tables: number;
  failedTables: number;
  prunedMessages: number;
}

/**
 * Compacts small files and expires old snapshots of every registered table, then deletes `done` queue rows
 * older than the retention (at least 24 h, so the edge's idempotency backstop keeps working). Returns null
 * when another processor holds the maintenance lock.
 */
export async function runMaintenance(
  pool: pg.Pool,
  warehouse: Warehouse,
  log: Logger,
  queueRetentionHours: number,
  tenants: readonly string[] | null = null,
): Promise<MaintenanceResult | null> {
  const client = await pool.connect();
  // A held client's connection can drop during minutes of optimize; without a listener that is a crash.
  const onError = (error: Error) => log.warn('maintenance connection failed', { error });
  client.on('error', onError);
  try {
    const lockKey = `maintenance:${tenants === null ? '*' : [...tenants].sort().join(',')}`;
    const {
      rows: [lock],
    } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, $2)) AS locked', [lockKey, MAINTENANCE_LOCK]);
    if (lock?.locked !== true) return null;
    try {
      const { rows: tables } = await client.query<{ tenant_id: string; table_name: string }>(
        'SELECT tenant_id, table_name FROM boitata_tables WHERE $1::text[] IS NULL OR tenant_id = ANY($1::text[]) ORDER BY 1, 2',
        [tenants],
      );
      let failedTables = 0;
      for (const { tenant_id, table_name } of tables) {
        try {
          await warehouse.maintain(warehouse.tableRef(tenant_id, table_name));
        } catch (error) {
          failedTables += 1;
          log.warn('table maintenance failed', { tenant: tenant_id, table: table_name, error: error as Error });
        }
      }
      const pruned = await client.query(
        `DELETE FROM boitata_inbound_queue WHERE status = 'done' AND processed_at < clock_timestamp() - make_interval(hours => $1)
            AND ($2::text[] IS NULL OR tenant_id = ANY($2::text[]))`,
        [Math.max(queueRetentionHours, 24), tenants],
      );
      const result = { tables: tables.length, failedTables, prunedMessages: pruned.rowCount ?? 0 };
      log.info('maintenance done', { ...result });
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, $2))', [lockKey, MAINTENANCE_LOCK]);
    }
  } finally {
    client.off('error', onError);
    client.release();
  }
}
