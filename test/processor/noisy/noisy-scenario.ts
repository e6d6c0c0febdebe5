// The noisy-neighbour scenario against the real pipeline: tenant A floods, tenant B's one-row messages are timed.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { addConnection, addTenant } from '../../../cli/provision.ts';
import { DuckDbWarehouse } from '../../../processor/warehouse/duckdb-warehouse.ts';
import { TrinoWarehouse } from '../../../processor/warehouse/trino-warehouse.ts';
import type { Warehouse } from '../../../processor/warehouse/warehouse.ts';
import { edgeBodies, enqueueAsOlderEdge, olderEdgeMessages } from './noisy-inputs.ts';
import { superviseProcessor } from './supervised-processor.ts';

export type ScenarioWarehouse = { kind: 'duckdb'; path: string } | { kind: 'trino'; url: string };

export interface NoisyScenarioOptions {
  pool: pg.Pool;
  databaseUrl: string;
  edgeUrl: string;
  warehouse: ScenarioWarehouse;
  /** false: tenant B alone (the baseline) */
  noisy: boolean;
  /** how long A and B send */
  seconds: number;
  /** B sends one one-row message this often */
  bIntervalMs?: number;
  /** A's ~1 MiB pushes per second through the edge (one sender, paced; slower when the edge is) */
  aPerSecond?: number;
  /** how many 349,524-row messages are put in the queue directly */
  olderEdgeCopies?: number;
  /** after the window, how long to wait at most for B's last messages and A's oversized ones to settle */
  settleSeconds?: number;
  processorEnv?: Record<string, string>;
  progress?: (line: string) => void;
}

export interface Percentiles { p50: number; p99: number; max: number }

export interface NoisyScenarioResult {
  tenants: { a: string; b: string };
  b: {
    sent: number;
    /** pushes the edge did not answer 202, by status */
    refused: Record<string, number>;
    /** received → processed (the queue's own timestamps), seconds; a message that never landed counts as Infinity */
    freshness: Percentiles;
    notLanded: number;
    /** each accepted marker's rows in the warehouse: every one must be 1 */
    rowsPerMarker: Map<string, number>;
    unexpectedMarkers: number;
    acceptLatencyMs: Percentiles;
  };
  a: {
    /** per body kind: answers by status (`202`, or `400 too_many_rows` …) */
    answers: Record<string, Record<string, number>>;
    acceptedRows: number;
    acceptedMessages: number;
    acceptLatencyMs: Percentiles;
    landedRows: number;
    landedMessages: number;
    /** rows of A's messages that landed per second of the run (window and settle) */
    landedRowsPerSecond: number;
    /** A's messages landed or dead-lettered after the window: the processor still making progress on A */
    settledDuringSettle: number;
    /** columns of A's tables registered after the window: a 2,000-table message makes progress this way */
    columnsAddedDuringSettle: number;
  };
  olderEdge: Array<{ kind: string; status: string; attempts: number; errorCode: string | null; reason: string | null }>;
  processor: { peakRssBytes: number; crashes: Array<{ atMs: number; code: number | null; signal: string | null; peakRssBytes: number; stderrTail: string }>; problems: string[] };
  seconds: { window: number; settle: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Nearest-rank percentiles (Infinity sorts last, so a message that never landed pushes p99 out). */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p99: NaN, max: NaN };
  const sorted = [...values].sort((x, y) => x - y);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { p50: rank(0.5), p99: rank(0.99), max: sorted.at(-1)! };
}

async function newTenant(pool: pg.Pool, role: string, rateLimitPerMinute: number) {
  const id = `noisy${role}${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;
  await addTenant(pool, { id });
  const { connection, token } = await addConnection(pool, { tenant: id, name: `noisy-${role}`, rateLimitPerMinute });
  return { tenant: id, token, connectionId: connection.id };
}

async function pushBody(edgeUrl: string, conn: { tenant: string; token: string }, table: string | null, body: string) {
  const query = table === null ? '' : `?table=${table}`;
  const response = await fetch(`${edgeUrl}/v1/ingest/push/${conn.token}${query}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant-id': conn.tenant }, body,
    // The edge promises an answer within 15 s; one that never comes is reported (status 0), not waited on forever.
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: { message_id?: string; code?: string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch { /* a non-JSON answer is reported by its status alone */ }
  return { status: response.status, messageId: parsed.message_id ?? null, code: parsed.code ?? null };
}

function openWarehouse(wh: ScenarioWarehouse): { warehouse: Warehouse; table: (tenant: string, table: string) => string } {
  if (wh.kind === 'duckdb') {
    return { warehouse: new DuckDbWarehouse({ path: wh.path, schemaPrefix: 'tenant_' }), table: (t, n) => `"tenant_${t}"."${n}"` };
  }
  const warehouse = new TrinoWarehouse({
    url: wh.url, user: 'boitata-noisy', statementTimeoutMs: 120_000, catalog: 'iceberg', schemaPrefix: 'tenant_', maxQueryLength: 1_000_000, snapshotRetention: '7d',
  });
  return { warehouse, table: (t, n) => `iceberg."tenant_${t}"."${n}"` };
}

export async function runNoisyScenario(options: NoisyScenarioOptions): Promise<NoisyScenarioResult> {
  const { pool, edgeUrl } = options;
  const bIntervalMs = options.bIntervalMs ?? 500;
  const aPerSecond = options.aPerSecond ?? 2;
  const settleSeconds = options.settleSeconds ?? 45;
  const progress = options.progress ?? (() => undefined);
  const a = await newTenant(pool, 'a', 1_000_000);
  const b = await newTenant(pool, 'b', 6_000);

  // 1. What an older edge could have queued before the caps: oldest in the queue, so claimed first.
  const older = options.noisy ? await enqueueAsOlderEdge(pool, a.tenant, a.connectionId, olderEdgeMessages(options.olderEdgeCopies ?? 24)) : [];

  // 2. The real processor, restarted when it dies (as a container's restart policy would), memory sampled.
  const processor = superviseProcessor({
    DATABASE_URL: options.databaseUrl,
    ...(options.warehouse.kind === 'trino' ? { TRINO_URL: options.warehouse.url } : { DUCKDB_PATH: options.warehouse.path }),
    PROCESSOR_TENANTS: `${a.tenant},${b.tenant}`,
    PROCESSOR_HTTP_PORT: '0',
    MAINTENANCE_INTERVAL_MINUTES: '0',
    // Short enough that a crashed batch comes back within the run; the other settings are the processor's defaults.
    PROCESSOR_LEASE_SECONDS: '20',
    PROCESSOR_SHUTDOWN_GRACE_SECONDS: '5',
    PII_HASH_KEY: 'noisy-neighbour-test-key-0123456789',
    ...options.processorEnv,
  });
  await processor.start();

  // 3. The window: B sends on a fixed schedule (never waiting on an answer), A sends ~1 MiB bodies at its pace.
  const windowStart = Date.now();
  const windowEnd = windowStart + options.seconds * 1000;
  const bSent: Array<Promise<{ marker: string; status: number; messageId: string | null; ms: number }>> = [];
  const bTimer = setInterval(() => {
    if (Date.now() >= windowEnd) return;
    const marker = randomUUID();
    const sentAt = performance.now();
    bSent.push(pushBody(edgeUrl, b, 'canary', JSON.stringify([{ marker, seq: bSent.length }]))
      .then((r) => ({ marker, status: r.status, messageId: r.messageId, ms: performance.now() - sentAt }))
      .catch(() => ({ marker, status: 0, messageId: null, ms: performance.now() - sentAt })));
  }, bIntervalMs);

  const bodies = options.noisy ? edgeBodies() : [];
  const answers: Record<string, Record<string, number>> = Object.fromEntries(bodies.map((body) => [body.kind, {}]));
  let acceptedRows = 0;
  let acceptedMessages = 0;
  const aLatencies: number[] = [];
  const aSender = (async () => {
    for (let i = 0; bodies.length > 0 && Date.now() < windowEnd; i++) {
      const next = windowStart + (i * 1000) / aPerSecond;
      if (next > Date.now()) await sleep(next - Date.now());
      const body = bodies[i % bodies.length]!;
      const sentAt = performance.now();
      const answer = await pushBody(edgeUrl, a, body.table, body.body).catch(() => ({ status: 0, messageId: null, code: 'network' }));
      aLatencies.push(performance.now() - sentAt);
      const key = answer.status === 202 ? '202' : `${answer.status} ${answer.code ?? ''}`.trim();
      answers[body.kind]![key] = (answers[body.kind]![key] ?? 0) + 1;
      if (answer.status === 202) {
        acceptedRows += body.rows;
        acceptedMessages += 1;
      }
    }
  })();

  const countDone = async (tenant: string) => Number((await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM boitata_inbound_queue WHERE tenant_id = $1 AND status = 'done'`, [tenant])).rows[0]!.n);
  const report = setInterval(() => {
    void countDone(b.tenant).then((bDone) => progress(
      `  ${((Date.now() - windowStart) / 1000).toFixed(0).padStart(4)} s: processor RSS ${mb(processor.currentRssBytes())} (peak ${mb(processor.peakRssBytes())}), ` +
      `crashes ${processor.crashes.length}; B sent ${bSent.length}, landed ${bDone}; A accepted ${acceptedMessages} messages`));
  }, 10_000);

  await aSender;
  while (Date.now() < windowEnd) await sleep(100);
  clearInterval(bTimer);
  const bAnswers = await Promise.all(bSent);

  const registeredColumns = async () => Number((await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM boitata_columns WHERE tenant_id = $1', [a.tenant])).rows[0]!.n);
  const columnsAtWindowEnd = await registeredColumns();

  // 4. Settle: B's last messages, and A's oversized ones (landed or dead-lettered), within the bound.
  const bIds = bAnswers.flatMap((r) => (r.messageId === null ? [] : [r.messageId]));
  const olderIds = older.map((o) => o.messageId);
  const settleStart = Date.now();
  for (;;) {
    const { rows: [open] } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM boitata_inbound_queue WHERE message_id = ANY($1::uuid[]) AND status NOT IN ('done', 'dead')`, [[...bIds, ...olderIds]]);
    if (Number(open!.n) === 0 || Date.now() - settleStart > settleSeconds * 1000) break;
    await sleep(500);
  }
  const settleEnd = Date.now();
  const columnsAdded = (await registeredColumns()) - columnsAtWindowEnd;
  clearInterval(report);
  await processor.stop(15_000);

  // 5. What happened: from the queue's own timestamps, and from the warehouse (the processor has let go of it).
  const { rows: bRows } = await pool.query<{ message_id: string; status: string; seconds: number | null }>(
    `SELECT message_id::text, status, extract(epoch FROM processed_at - received_at)::float8 AS seconds
       FROM boitata_inbound_queue WHERE message_id = ANY($1::uuid[])`, [bIds]);
  const landed = new Map(bRows.filter((r) => r.status === 'done').map((r) => [r.message_id, r.seconds!]));
  const freshness = bIds.map((id) => landed.get(id) ?? Infinity);

  const { warehouse, table } = openWarehouse(options.warehouse);
  const rowsPerMarker = new Map(bAnswers.filter((r) => r.status === 202).map((r) => [r.marker, 0]));
  let unexpectedMarkers = 0;
  try {
    const found = await warehouse.query(`SELECT CAST(marker AS varchar) AS marker, count(*) AS n FROM ${table(b.tenant, 'canary')} GROUP BY 1`);
    for (const [marker, n] of found.rows) {
      if (rowsPerMarker.has(String(marker))) rowsPerMarker.set(String(marker), Number(n));
      else unexpectedMarkers += 1;
    }
  } catch (error) {
    progress(`  B's table could not be read: ${(error as Error).message}`);
  } finally {
    await warehouse.close();
  }

  const { rows: [aLanded] } = await pool.query<{ messages: string; rows: string | null; settle: string }>(
    `SELECT count(*) FILTER (WHERE status = 'done') AS messages, sum(row_count) FILTER (WHERE status = 'done') AS rows,
            count(*) FILTER (WHERE processed_at > to_timestamp($2 / 1000.0)) AS settle
       FROM boitata_inbound_queue WHERE tenant_id = $1`, [a.tenant, windowEnd]);
  const { rows: olderRows } = await pool.query<{ message_id: string; status: string; attempts: number; error_code: string | null; reason: string | null }>(
    `SELECT q.message_id::text, q.status, q.attempts, d.error_code, coalesce(d.reason, q.last_error) AS reason
       FROM boitata_inbound_queue q LEFT JOIN boitata_dead_letters d ON d.message_id = q.message_id
      WHERE q.message_id = ANY($1::uuid[])`, [olderIds]);
  const olderById = new Map(olderRows.map((r) => [r.message_id, r]));
  const bRefused: Record<string, number> = {};
  for (const r of bAnswers) if (r.status !== 202) bRefused[String(r.status)] = (bRefused[String(r.status)] ?? 0) + 1;

  return {
    tenants: { a: a.tenant, b: b.tenant },
    b: {
      sent: bAnswers.length, refused: bRefused, freshness: percentiles(freshness), notLanded: freshness.filter((s) => s === Infinity).length,
      rowsPerMarker, unexpectedMarkers, acceptLatencyMs: percentiles(bAnswers.map((r) => r.ms)),
    },
    a: {
      answers, acceptedRows, acceptedMessages, acceptLatencyMs: percentiles(aLatencies),
      landedRows: Number(aLanded!.rows ?? 0), landedMessages: Number(aLanded!.messages),
      landedRowsPerSecond: Number(aLanded!.rows ?? 0) / ((settleEnd - windowStart) / 1000),
      settledDuringSettle: Number(aLanded!.settle), columnsAddedDuringSettle: columnsAdded,
    },
    olderEdge: older.map(({ messageId, kind }) => {
      const row = olderById.get(messageId);
      return { kind, status: row?.status ?? 'missing', attempts: row?.attempts ?? 0, errorCode: row?.error_code ?? null, reason: row?.reason?.slice(0, 300) ?? null };
    }),
    processor: { peakRssBytes: processor.peakRssBytes(), crashes: processor.crashes.map((c) => ({ ...c })), problems: processor.recentProblems.slice(-8) },
    seconds: { window: (windowEnd - windowStart) / 1000, settle: (settleEnd - windowEnd) / 1000 },
  };
}

/** The figures, for people: the test prints them, the bench prints them beside its baseline. */
export function describeResult(label: string, r: NoisyScenarioResult): string {
  const s = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : 'never');
  const olderByOutcome = new Map<string, number>();
  for (const o of r.olderEdge) {
    const key = `${o.kind}: ${o.status}${o.errorCode === null ? '' : ` (${o.errorCode})`}`;
    olderByOutcome.set(key, (olderByOutcome.get(key) ?? 0) + 1);
  }
  const lines = [
    `${label}: ${r.seconds.window.toFixed(0)} s window + ${r.seconds.settle.toFixed(0)} s settle`,
    `  B freshness over ${r.b.sent} one-row messages: p50 ${s(r.b.freshness.p50)}, p99 ${s(r.b.freshness.p99)}, max ${s(r.b.freshness.max)}; not landed ${r.b.notLanded}; refused ${JSON.stringify(r.b.refused)}`,
    `  B's answers from the edge: p50 ${r.b.acceptLatencyMs.p50.toFixed(0)} ms, p99 ${r.b.acceptLatencyMs.p99.toFixed(0)} ms, max ${r.b.acceptLatencyMs.max.toFixed(0)} ms`,
    `  processor peak RSS ${mb(r.processor.peakRssBytes)}; crashes ${r.processor.crashes.length}${r.processor.crashes.map((c) => ` [at ${(c.atMs / 1000).toFixed(0)} s, ${c.signal ?? `exit ${c.code}`}, peak ${mb(c.peakRssBytes)}${/heap limit/.test(c.stderrTail) ? ', heap limit' : ''}]`).join('')}`,
  ];
  if (Object.keys(r.a.answers).length > 0 || r.olderEdge.length > 0) {
    lines.push(
      `  A through the edge: ${r.a.acceptedMessages} messages / ${r.a.acceptedRows} rows accepted ${JSON.stringify(r.a.answers)}; answers p50 ${r.a.acceptLatencyMs.p50.toFixed(0)} ms, p99 ${r.a.acceptLatencyMs.p99.toFixed(0)} ms`,
      `  A landed: ${r.a.landedMessages} messages / ${r.a.landedRows} rows (${r.a.landedRowsPerSecond.toFixed(0)} rows/s), ${r.a.settledDuringSettle} messages settled and ${r.a.columnsAddedDuringSettle} columns registered after the window`,
      `  A's older-edge messages: ${[...olderByOutcome].map(([k, n]) => `${n} × ${k}`).join('; ')}`,
    );
  }
  return lines.join('\n');
}
