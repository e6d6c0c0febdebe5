// Lands a tenant's pending messages with the real processor on a DuckDB file of its own, as a running processor
// would: rows in the warehouse, messages done, and each table's last_loaded_at written by the processor itself.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { BatchLoader } from '../../../processor/batch-loader.ts';
import { createLogger } from '../../../processor/logger.ts';
import { Processor } from '../../../processor/processor.ts';
import { QueueStore } from '../../../processor/queue/queue-store.ts';
import { PiiHasher } from '../../../processor/schema/pii-hasher.ts';
import { SchemaRegistry } from '../../../processor/schema/schema-registry.ts';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';

/** Runs the processor until none of the tenant's messages is pending or in flight; every one must have landed. */
export async function landWithProcessor(db: pg.Pool, tenant: string, timeoutMs = 60_000): Promise<void> {
  const dir = join(tmpdir(), `boitata-status-${randomUUID().slice(0, 8)}`);
  const warehouse = new DuckDbWarehouse({ path: join(dir, 'warehouse.duckdb'), schemaPrefix: 'tenant_' });
  const registry = new SchemaRegistry({ pool: db, warehouse });
  const loader = new BatchLoader({ warehouse, registry, hasher: new PiiHasher('hmac', Buffer.from('status-test-pii-hash-key-0123', 'utf8')) });
  const processor = new Processor({
    queue: new QueueStore(db, `status-processor-${tenant}`, 60, [tenant]),
    loader,
    log: createLogger('error', () => undefined),
    settings: { batchSize: 500, pollIntervalMs: 50, leaseSeconds: 60, maxAttempts: 5 },
  });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await processor.runOnce();
      if (result.error !== null) throw result.error;
      const { rows } = await db.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM boitata_inbound_queue WHERE tenant_id = $1 GROUP BY status',
        [tenant],
      );
      const waiting = rows.filter((row) => row.status === 'pending' || row.status === 'processing');
      if (waiting.length === 0) {
        const notDone = rows.filter((row) => row.status !== 'done');
        if (notDone.length > 0) throw new Error(`the processor did not land every message: ${JSON.stringify(rows)}`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`the processor did not settle the queue: ${JSON.stringify(rows)}`);
      if (result.claimed === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  }
}
