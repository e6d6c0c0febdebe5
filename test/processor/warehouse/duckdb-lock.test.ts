// The processor while another process holds the DuckDB file (a second processor, a DuckDB shell, a long query):
// its writes fail as "warehouse away", which never dead-letters a message, and everything lands once the file is free.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';
import { db, newConnection, push, queueStatus, SCHEMA_PREFIX, settle, testProcessor } from './support.ts';

const path = join(tmpdir(), `boitata-lock-${process.pid}-${randomUUID().slice(0, 8)}.duckdb`);
afterAll(async () => {
  await db.end();
  rmSync(path, { force: true });
});

/** Another process that opens the file read-write and keeps it until killed. */
async function holdFile(): Promise<() => void> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(${JSON.stringify(path)});
    await (await instance.connect()).run('SELECT 1');
    console.log('held');
    setInterval(() => undefined, 60_000);`,
    ],
    { cwd: new URL('../../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  return () => child.kill('SIGKILL');
}

describe('the processor and a DuckDB file held by another process', () => {
  it("retries without counting it as the messages' failure (nothing dead-lettered, even at maxAttempts 1), then lands everything once", async () => {
    const conn = await newConnection();
    await push(
      conn,
      [
        { id: 1, note: 'first' },
        { id: 2, note: 'second' },
      ],
      'held',
    );
    const release = await holdFile();
    const warehouse = new DuckDbWarehouse({ path, schemaPrefix: SCHEMA_PREFIX, lockWaitMs: 200 });
    const processor = testProcessor([conn.tenant], { maxAttempts: 1 }, warehouse);
    // Every claim while the file is held must fail as "another process"; and there must have been claims, or the
    // loop proved nothing (the message is pending from the start, and the backoff is past before each retry).
    let claimedWhileHeld = 0;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const result = await processor.runOnce();
        if (result.claimed > 0) {
          claimedWhileHeld += 1;
          expect(result.error?.message).toMatch(/another process/i);
        }
        await new Promise((resolve) => setTimeout(resolve, 1100)); // past the retry backoff
      }
    } finally {
      release();
    }
    expect(claimedWhileHeld).toBeGreaterThanOrEqual(1);
    expect(await queueStatus(conn.tenant)).toEqual({ pending: 1 });
    const { rows } = await db.query('SELECT count(*)::int AS n FROM boitata_dead_letters WHERE tenant_id = $1', [conn.tenant]);
    expect(rows[0].n).toBe(0);

    expect(await settle(processor, conn.tenant)).toEqual({ done: 1 });
    const landed = await warehouse.query(`SELECT id, note FROM "${SCHEMA_PREFIX}${conn.tenant}".held ORDER BY id`);
    expect(landed.rows).toEqual([
      [1, 'first'],
      [2, 'second'],
    ]);
    await warehouse.close();
  });
});
