// Periodic upkeep, done by one processor at a time: retention (expired warehouse rows, old queue rows) and Iceberg
// compaction + snapshot expiry.
import type pg from 'pg';
import { applyRetention, loadRetentionTargets, summarizeRetention } from './governance/retention-run.ts';
import { pruneQueue } from './governance/retention-queue.ts';
import type { Logger } from './logger.ts';
import type { ProcessorMetrics } from './metrics.ts';
import type { Warehouse } from './warehouse/warehouse.ts';

const MAINTENANCE_LOCK = 7_362_846_003;
// A processor dedicated to some tenants (PROCESSOR_TENANTS) maintains only their tables, under its own lock,
// so it never makes the general processors skip their turn.

/** QUEUE_DEAD_RETENTION_HOURS's default: 30 days. */
export const DEFAULT_DEAD_RETENTION_HOURS = 720;

export interface MaintenanceResult {
  tables: number;
  failedTables: number;
  /** `done` queue rows deleted (QUEUE_RETENTION_HOURS) */
  prunedMessages: number;
  /** `dead` queue rows deleted (QUEUE_DEAD_RETENTION_HOURS), and the dead letters that went with them */
  prunedDeadMessages: number;
  prunedDeadLetters: number;
  /** the tables' retention: tables with one, those that failed, rows deleted in all and per tenant */
  retention: { tables: number; failedTables: number; deletedRows: number; deletedRowsByTenant: Record<string, number> };
}

export interface MaintenanceOptions {
  /** QUEUE_DEAD_RETENTION_HOURS */
  deadRetentionHours?: number;
  metrics?: Pick<ProcessorMetrics, 'retentionRows' | 'queuePruned'> | null;
  now?: () => Date;
}

/**
 * Deletes each table's rows older than its retention (boitata_policies), compacts small files and expires old
 * snapshots of every registered table, then deletes `done` queue rows older than the queue retention (at least 24 h,
 * so the edge's idempotency backstop keeps working) and `dead` ones older than the dead retention. Returns null when
 * another processor holds the maintenance lock.
 */
export async function runMaintenance(
  pool: pg.Pool,
  warehouse: Warehouse,
  log: Logger,
  queueRetentionHours: number,
  tenants: readonly string[] | null = null,
  options: MaintenanceOptions = {},
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
      // Retention first, so the compaction below rewrites the files its deletes touched.
      const targets = await loadRetentionTargets(client, tenants, (options.now ?? (() => new Date()))());
      const retention = summarizeRetention(await applyRetention(warehouse, targets, { dryRun: false, log }));
      for (const [tenant, rows] of Object.entries(retention.rowsByTenant)) options.metrics?.retentionRows.inc({ tenant }, rows);

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
      const done = await pruneQueue(client, 'done', queueRetentionHours, tenants);
      const dead = await pruneQueue(client, 'dead', options.deadRetentionHours ?? DEFAULT_DEAD_RETENTION_HOURS, tenants);
      options.metrics?.queuePruned.inc({ status: 'done' }, done.messages);
      options.metrics?.queuePruned.inc({ status: 'dead' }, dead.messages);
      const result: MaintenanceResult = {
        tables: tables.length,
        failedTables,
        prunedMessages: done.messages,
        prunedDeadMessages: dead.messages,
        prunedDeadLetters: dead.deadLetters + done.deadLetters,
        retention: {
          tables: retention.tables,
          failedTables: retention.failedTables,
          deletedRows: retention.rows,
          deletedRowsByTenant: retention.rowsByTenant,
        },
      };
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
