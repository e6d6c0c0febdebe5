// A message that really kills the processor (V8 out of memory) is isolated: its batch goes message by message after
// two lease expiries, the messages that shared its batch land, and it is dead-lettered processing_crashed.
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addConnection } from '../../../cli/connections.ts';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';
import { spawnProcessor } from './processes.ts';
import { db, newTenant, queueStatus, SCHEMA_PREFIX } from './support.ts';

afterAll(() => db.end());

async function enqueue(tenant: string, connectionId: string, payload: string, rows: number): Promise<string> {
  const messageId = randomUUID();
  await db.query(
    `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope)
     VALUES ($1, $2, $3, 'push', 'array', 'crashes', $4, $5, $6, $3)`,
    [messageId, tenant, connectionId, payload, rows, JSON.stringify({ message_id: messageId })],
  );
  return messageId;
}

describe('crash isolation with a real processor', () => {
  it('a message that runs the processor out of memory is dead-lettered processing_crashed; its batch mates land', async () => {
    const tenant = await newTenant();
    const { connection } = await addConnection(db, { tenant, name: 'old-edge' });
    const first = await enqueue(tenant, connection.id, '[{"n":1}]', 1);
    const second = await enqueue(tenant, connection.id, '[{"n":2}]', 1);
    // 1.5 million rows in 12 MB: what no edge of today admits, parsed on a 64 MB heap.
    const rows = 1_500_000;
    const poison = await enqueue(tenant, connection.id, `[${'{"n":0},'.repeat(rows - 1)}{"n":0}]`, rows);
    const duckDbPath = join(tmpdir(), `boitata-crash-${randomUUID().slice(0, 8)}.duckdb`);
    const env = {
      PROCESSOR_TENANTS: tenant,
      TRINO_URL: '',
      DUCKDB_PATH: duckDbPath,
      NODE_OPTIONS: '--max-old-space-size=64',
      PROCESSOR_LEASE_SECONDS: '5',
      PROCESSOR_BATCH_MAX_ROWS: '10000000',
      PROCESSOR_BATCH_MAX_BYTES: '1000000000',
      PROCESSOR_TENANT_MAX_IN_FLIGHT_ROWS: '10000000',
      PROCESSOR_MAX_MESSAGE_TEXT_BYTES: '100000000',
      LOG_LEVEL: 'warn',
    };

    // Restart the processor whenever it dies (as a container runtime would), or kill it when it has neither died nor
    // settled within a minute (what a liveness probe would do), until nothing is pending or in flight.
    let restarts = 0;
    const deadline = Date.now() + 420_000;
    for (;;) {
      const status = await queueStatus(tenant);
      if ((status['pending'] ?? 0) === 0 && (status['processing'] ?? 0) === 0) break;
      if (Date.now() > deadline) throw new Error(`did not settle: ${JSON.stringify(status)} after ${restarts} restarts`);
      const child = spawnProcessor(env);
      const started = Date.now();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (child.child.exitCode !== null || child.child.signalCode !== null) break;
        const now = await queueStatus(tenant);
        const settled = (now['pending'] ?? 0) === 0 && (now['processing'] ?? 0) === 0;
        if (settled || Date.now() - started > 60_000) {
          child.child.kill('SIGKILL');
          break;
        }
      }
      await child.exited;
      restarts++;
    }

    expect(restarts).toBeGreaterThanOrEqual(4); // twice with its batch, twice alone
    expect(await queueStatus(tenant)).toEqual({ done: 2, dead: 1 });
    const { rows: dead } = await db.query('SELECT message_id::text, error_code FROM boitata_dead_letters WHERE tenant_id = $1', [tenant]);
    expect(dead).toEqual([{ message_id: poison, error_code: 'processing_crashed' }]);
    const warehouse = new DuckDbWarehouse({ path: duckDbPath, schemaPrefix: SCHEMA_PREFIX });
    try {
      const result = await warehouse.query(`SELECT _boitata_message_id, n FROM ${SCHEMA_PREFIX}${tenant}.crashes ORDER BY n`);
      expect(result.rows.map((row) => [row[0], Number(row[1])])).toEqual([
        [first, 1],
        [second, 2],
      ]);
    } finally {
      await warehouse.close();
    }
  }, 480_000);
});
