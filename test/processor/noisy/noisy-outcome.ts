// What a noisy-neighbour run left behind, read from the queue's own timestamps and from the warehouse.
import type pg from 'pg';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';
import { TrinoWarehouse } from '../../../processor/warehouse/trino-warehouse.ts';
import type { Warehouse } from '../../../processor/warehouse/warehouse.ts';
import type { ScenarioWarehouse } from './noisy-scenario.ts';
import type { TenantBAnswer } from './noisy-traffic.ts';

/** A message put in the queue as an older edge would have, by id. */
export interface OlderEdgeReceipt {
  messageId: string;
  kind: string;
}

export interface OlderEdgeOutcome {
  kind: string;
  status: string;
  attempts: number;
  errorCode: string | null;
  reason: string | null;
}

function openWarehouse(wh: ScenarioWarehouse): { warehouse: Warehouse; table: (tenant: string, table: string) => string } {
  if (wh.kind === 'duckdb') {
    return { warehouse: new DuckDbWarehouse({ path: wh.path, schemaPrefix: 'tenant_' }), table: (t, n) => `"tenant_${t}"."${n}"` };
  }
  const warehouse = new TrinoWarehouse({
    url: wh.url,
    user: 'boitata-noisy',
    statementTimeoutMs: 120_000,
    catalog: 'iceberg',
    schemaPrefix: 'tenant_',
    maxQueryLength: 1_000_000,
    snapshotRetention: '7d',
  });
  return { warehouse, table: (t, n) => `iceberg."tenant_${t}"."${n}"` };
}

/** Each of B's accepted messages: received → processed (the queue's timestamps), seconds; Infinity if it never landed. */
export async function readFreshness(pool: pg.Pool, bIds: readonly string[]): Promise<number[]> {
  const { rows } = await pool.query<{ message_id: string; status: string; seconds: number | null }>(
    `SELECT message_id::text, status, extract(epoch FROM processed_at - received_at)::float8 AS seconds
       FROM boitata_inbound_queue WHERE message_id = ANY($1::uuid[])`,
    [bIds],
  );
  const landed = new Map(rows.filter((r) => r.status === 'done').map((r) => [r.message_id, r.seconds!]));
  return bIds.map((id) => landed.get(id) ?? Infinity);
}

/** Rows per marker B was answered 202 for, and rows in B's table with a marker B never sent. */
export async function countMarkersInWarehouse(wh: ScenarioWarehouse, bTenant: string, bAnswers: readonly TenantBAnswer[], progress: (line: string) => void) {
  const { warehouse, table } = openWarehouse(wh);
  const rowsPerMarker = new Map(bAnswers.filter((r) => r.status === 202).map((r) => [r.marker, 0]));
  let unexpectedMarkers = 0;
  try {
    const found = await warehouse.query(`SELECT CAST(marker AS varchar) AS marker, count(*) AS n FROM ${table(bTenant, 'canary')} GROUP BY 1`);
    for (const [marker, n] of found.rows) {
      if (rowsPerMarker.has(String(marker))) rowsPerMarker.set(String(marker), Number(n));
      else unexpectedMarkers += 1;
    }
  } catch (error) {
    progress(`  B's table could not be read: ${(error as Error).message}`);
  } finally {
    await warehouse.close();
  }
  return { rowsPerMarker, unexpectedMarkers };
}

/** A's messages and rows landed over the run, and its messages settled (landed or dead-lettered) after the window. */
export async function readTenantALanded(
  pool: pg.Pool,
  aTenant: string,
  windowEnd: number,
): Promise<{ messages: number; rows: number; settledAfterWindow: number }> {
  const {
    rows: [landed],
  } = await pool.query<{ messages: string; rows: string | null; settle: string }>(
    `SELECT count(*) FILTER (WHERE status = 'done') AS messages, sum(row_count) FILTER (WHERE status = 'done') AS rows,
            count(*) FILTER (WHERE processed_at > to_timestamp($2 / 1000.0)) AS settle
       FROM boitata_inbound_queue WHERE tenant_id = $1`,
    [aTenant, windowEnd],
  );
  return { messages: Number(landed!.messages), rows: Number(landed!.rows ?? 0), settledAfterWindow: Number(landed!.settle) };
}

/** How each older-edge message ended: its queue status and attempts, and the dead letter's code and reason if any. */
export async function readOlderEdgeOutcome(pool: pg.Pool, older: readonly OlderEdgeReceipt[]): Promise<OlderEdgeOutcome[]> {
  const { rows } = await pool.query<{ message_id: string; status: string; attempts: number; error_code: string | null; reason: string | null }>(
    `SELECT q.message_id::text, q.status, q.attempts, d.error_code, coalesce(d.reason, q.last_error) AS reason
       FROM boitata_inbound_queue q LEFT JOIN boitata_dead_letters d ON d.message_id = q.message_id
      WHERE q.message_id = ANY($1::uuid[])`,
    [older.map((o) => o.messageId)],
  );
  const byId = new Map(rows.map((r) => [r.message_id, r]));
  return older.map(({ messageId, kind }) => {
    const row = byId.get(messageId);
    return {
      kind,
      status: row?.status ?? 'missing',
      attempts: row?.attempts ?? 0,
      errorCode: row?.error_code ?? null,
      reason: row?.reason?.slice(0, 300) ?? null,
    };
  });
}
