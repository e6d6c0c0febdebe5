// The real processor, run on demand for tests inside workerd (through the fixture service): lands a tenant's pending
// messages on a DuckDB file of the tenant's own — kept for the run, so a second landing meets the tables the first
// made — or claims them and keeps them in flight. Messages that cannot land are dead-lettered by the processor itself.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { BatchLoader } from '../../processor/batch-loader.ts';
import { createLogger } from '../../processor/logger.ts';
import { Processor } from '../../processor/processor.ts';
import { DEFAULT_CLAIM_LIMITS, QueueStore } from '../../processor/queue/queue-store.ts';
import { PiiHasher } from '../../processor/schema/pii-hasher.ts';
import { SchemaRegistry } from '../../processor/schema/schema-registry.ts';
import { DuckDbWarehouse } from '../../processor/warehouse/duckdb-warehouse.ts';

/** How long one landing may take before the fixture gives up (a test's own timeout is 30 s). */
const LAND_TIMEOUT_MS = 20_000;

interface TenantWarehouse {
  dir: string;
  warehouse: DuckDbWarehouse;
  /** Landings of one tenant run one after another: one DuckDB file, one writer. */
  tail: Promise<unknown>;
}

export interface ProcessorFixture {
  /** Runs the processor until none of the tenant's messages is pending or in flight; answers the count per status. */
  land(tenant: string): Promise<Record<string, number>>;
  /** Claims the tenant's pending messages as a processor would, and holds them (status `processing`) for `leaseSeconds`. */
  claim(tenant: string, leaseSeconds: number): Promise<{ claimed: number }>;
  close(): Promise<void>;
}

export function createProcessorFixture(db: pg.Pool): ProcessorFixture {
  const tenants = new Map<string, TenantWarehouse>();

  const warehouseOf = (tenant: string): TenantWarehouse => {
    let entry = tenants.get(tenant);
    if (entry === undefined) {
      const dir = join(tmpdir(), `boitata-edge-land-${randomUUID().slice(0, 8)}`);
      entry = { dir, warehouse: new DuckDbWarehouse({ path: join(dir, 'warehouse.duckdb'), schemaPrefix: 'tenant_' }), tail: Promise.resolve() };
      tenants.set(tenant, entry);
    }
    return entry;
  };

  const statuses = async (tenant: string): Promise<Record<string, number>> => {
    const { rows } = await db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM boitata_inbound_queue WHERE tenant_id = $1 GROUP BY status',
      [tenant],
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  };

  const landNow = async (tenant: string, warehouse: DuckDbWarehouse): Promise<Record<string, number>> => {
    const registry = new SchemaRegistry({ pool: db, warehouse });
    const loader = new BatchLoader({ warehouse, registry, hasher: new PiiHasher('hmac', Buffer.from('edge-test-pii-hash-key-012345', 'utf8')) });
    const processor = new Processor({
      queue: new QueueStore(db, `edge-test-processor-${tenant}`, 60, [tenant]),
      loader,
      log: createLogger('error', () => undefined),
      settings: { batchSize: 500, pollIntervalMs: 50, leaseSeconds: 60, maxAttempts: 5 },
    });
    const deadline = Date.now() + LAND_TIMEOUT_MS;
    for (;;) {
      const result = await processor.runOnce();
      if (result.error !== null) throw result.error;
      const counts = await statuses(tenant);
      if ((counts['pending'] ?? 0) + (counts['processing'] ?? 0) === 0) return counts;
      if (Date.now() > deadline) throw new Error(`the processor did not settle the queue: ${JSON.stringify(counts)}`);
      if (result.claimed === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  return {
    land(tenant) {
      const entry = warehouseOf(tenant);
      const landing = entry.tail.then(() => landNow(tenant, entry.warehouse));
      entry.tail = landing.catch(() => undefined);
      return landing;
    },
    async claim(tenant, leaseSeconds) {
      const queue = new QueueStore(db, `edge-test-claimer-${tenant}`, leaseSeconds, [tenant]);
      const batch = await queue.claimBatch({ ...DEFAULT_CLAIM_LIMITS, messages: 100 });
      return { claimed: batch.messages.length };
    },
    async close() {
      for (const entry of tenants.values()) {
        await entry.tail;
        await entry.warehouse.close();
        await rm(entry.dir, { recursive: true, force: true });
      }
      tenants.clear();
    },
  };
}
