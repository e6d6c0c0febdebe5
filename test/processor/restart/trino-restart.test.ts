// A real Trino outage: the local Trino is stopped mid-run and started again. Runs after every other project
// (vitest groupOrder), since the other warehouse tests share that Trino.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { countRows, db, newConnection, push, queueStatus, settle, testProcessor, trinoUrl } from '../warehouse/support.ts';

const run = promisify(execFile);
const trinoScript = (command: string) => run('bash', ['scripts/trino.sh', command], { timeout: 240_000 });
const localTrino =
  trinoUrl !== '' &&
  trinoUrl.replace(/\/$/, '') === `http://127.0.0.1:${process.env['TRINO_PORT'] ?? '8090'}` &&
  (await trinoScript('status').then(
    () => true,
    () => false,
  ));
const reason = trinoUrl === '' ? inject('trinoSkipReason') : `TRINO_URL ${trinoUrl} is not the Trino that scripts/trino.sh runs, so it cannot be stopped`;

afterAll(() => db.end());

(localTrino ? describe : describe.skip)(`Trino stopped and restarted${localTrino ? '' : ` [SKIPPED: ${reason}]`}`, () => {
  it('messages wait in the queue while Trino is down and land once it is back, once each', async () => {
    const conn = await newConnection();
    const processor = testProcessor([conn.tenant]);
    await push(conn, [{ n: 1 }, { n: 2 }], 'outage_real');
    await processor.drain();
    try {
      await trinoScript('stop');
      await push(conn, [{ n: 3 }], 'outage_real'); // the edge does not need Trino
      await push(conn, [{ n: 4 }, { n: 5 }], 'outage_real');
      const failed = await processor.runOnce();
      expect(failed.error?.message).toMatch(/Trino request failed: ECONNREFUSED/);
      const { rows } = await db.query(`SELECT status, failures FROM boitata_inbound_queue WHERE tenant_id = $1 AND status <> 'done'`, [conn.tenant]);
      expect(rows).toEqual([
        { status: 'pending', failures: 0 },
        { status: 'pending', failures: 0 },
      ]);
    } finally {
      await trinoScript('start');
    }
    expect(await settle(processor, conn.tenant, 120_000)).toEqual({ done: 3 });
    expect(await countRows(conn.tenant, 'outage_real')).toEqual({ rows: 5, distinct: 5 });
    expect(await queueStatus(conn.tenant)).toEqual({ done: 3 });
  });
});
