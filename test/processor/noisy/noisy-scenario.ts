// The noisy-neighbour scenario against the real pipeline: tenant A floods, tenant B's one-row messages are timed.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { addConnection } from '../../../cli/connections.ts';
import { addTenant } from '../../../cli/tenants.ts';
import { edgeBodies, enqueueAsOlderEdge, olderEdgeMessages } from './noisy-inputs.ts';
import {
  countMarkersInWarehouse,
  readFreshness,
  readOlderEdgeOutcome,
  readTenantALanded,
  type OlderEdgeOutcome,
  type OlderEdgeReceipt,
} from './noisy-outcome.ts';
import {
  finishWindow,
  startTenantA,
  startTenantBSchedule,
  type EdgeConnection,
  type TenantATally,
  type TenantBAnswer,
  type TenantBSchedule,
  type TrafficWindow,
} from './noisy-traffic.ts';
import { superviseProcessor, type SupervisedProcessor } from './supervised-processor.ts';

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

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

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
  olderEdge: OlderEdgeOutcome[];
  processor: {
    peakRssBytes: number;
    crashes: Array<{ atMs: number; code: number | null; signal: string | null; peakRssBytes: number; stderrTail: string }>;
    problems: string[];
  };
  seconds: { window: number; settle: number };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Nearest-rank percentiles (Infinity sorts last, so a message that never landed pushes p99 out). */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p99: NaN, max: NaN };
  const sorted = [...values].sort((x, y) => x - y);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { p50: rank(0.5), p99: rank(0.99), max: sorted.at(-1)! };
}

interface ScenarioTenant extends EdgeConnection {
  connectionId: string;
}

async function newTenant(pool: pg.Pool, role: string, rateLimitPerMinute: number): Promise<ScenarioTenant> {
  const id = `noisy${role}${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;
  await addTenant(pool, { id });
  const { connection, token } = await addConnection(pool, { tenant: id, name: `noisy-${role}`, rateLimitPerMinute });
  return { tenant: id, token, connectionId: connection.id };
}

export async function runNoisyScenario(options: NoisyScenarioOptions): Promise<NoisyScenarioResult> {
  const { pool, edgeUrl } = options;
  const progress = options.progress ?? (() => undefined);
  const { a, b, older } = await startTenantsAndOlderEdge(options);
  const processor = await startProcessor(options, [a.tenant, b.tenant]);

  // The window: B sends on a fixed schedule (never waiting on an answer), A sends ~1 MiB bodies at its pace.
  const windowStart = Date.now();
  const window: TrafficWindow = { start: windowStart, end: windowStart + options.seconds * 1000 };
  const bSchedule = startTenantBSchedule(edgeUrl, b, window, options.bIntervalMs ?? 500);
  const aSender = startTenantA(edgeUrl, a, window, options.aPerSecond ?? 2, options.noisy ? edgeBodies() : []);
  const report = startProgressReport({ pool, bTenant: b.tenant, window, processor, bSchedule, aTally: aSender.tally, progress });
  const bAnswers = await finishWindow(window, aSender.done, bSchedule);

  const bIds = bAnswers.flatMap((r) => (r.messageId === null ? [] : [r.messageId]));
  const settled = await settle(pool, a.tenant, [...bIds, ...older.map((o) => o.messageId)], options.settleSeconds ?? 45);
  clearInterval(report);
  await processor.stop(15_000);

  return collectResult(options, { a, b, older, processor, window, bAnswers, bIds, aTally: aSender.tally, settled }, progress);
}

/** The two tenants, and what an older edge could have queued before the caps: oldest in the queue, so claimed first. */
async function startTenantsAndOlderEdge(options: NoisyScenarioOptions): Promise<{ a: ScenarioTenant; b: ScenarioTenant; older: OlderEdgeReceipt[] }> {
  const a = await newTenant(options.pool, 'a', 1_000_000);
  const b = await newTenant(options.pool, 'b', 6_000);
  const older = options.noisy ? await enqueueAsOlderEdge(options.pool, a.tenant, a.connectionId, olderEdgeMessages(options.olderEdgeCopies ?? 24)) : [];
  return { a, b, older };
}

/** The real processor, restarted when it dies (as a container's restart policy would), memory sampled. */
async function startProcessor(options: NoisyScenarioOptions, tenants: readonly string[]): Promise<SupervisedProcessor> {
  const processor = superviseProcessor({
    DATABASE_URL: options.databaseUrl,
    ...(options.warehouse.kind === 'trino' ? { TRINO_URL: options.warehouse.url } : { DUCKDB_PATH: options.warehouse.path }),
    PROCESSOR_TENANTS: tenants.join(','),
    PROCESSOR_HTTP_PORT: '0',
    MAINTENANCE_INTERVAL_MINUTES: '0',
    // Short enough that a crashed batch comes back within the run; the other settings are the processor's defaults.
    PROCESSOR_LEASE_SECONDS: '20',
    PROCESSOR_SHUTDOWN_GRACE_SECONDS: '5',
    PII_HASH_KEY: 'noisy-neighbour-test-key-0123456789',
    ...options.processorEnv,
  });
  await processor.start();
  return processor;
}

/** Every 10 s until the settle ends: the processor's memory and crashes, B's messages sent and landed, A's accepted. */
function startProgressReport(run: {
  pool: pg.Pool;
  bTenant: string;
  window: TrafficWindow;
  processor: SupervisedProcessor;
  bSchedule: TenantBSchedule;
  aTally: TenantATally;
  progress: (line: string) => void;
}): ReturnType<typeof setInterval> {
  const { pool, processor } = run;
  const countDone = async (tenant: string) =>
    Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM boitata_inbound_queue WHERE tenant_id = $1 AND status = 'done'`, [tenant])).rows[0]!.n);
  return setInterval(() => {
    void countDone(run.bTenant).then((bDone) =>
      run.progress(
        `  ${((Date.now() - run.window.start) / 1000).toFixed(0).padStart(4)} s: processor RSS ${mb(processor.currentRssBytes())} (peak ${mb(processor.peakRssBytes())}), ` +
          `crashes ${processor.crashes.length}; B sent ${run.bSchedule.sent.length}, landed ${bDone}; A accepted ${run.aTally.acceptedMessages} messages`,
      ),
    );
  }, 10_000);
}

/**
 * After the window, until `messageIds` (B's last messages, A's oversized ones) are landed or dead-lettered, or `seconds` pass.
 * Columns A gained meanwhile show progress on a 2,000-table message that has not settled yet.
 */
async function settle(pool: pg.Pool, aTenant: string, messageIds: readonly string[], seconds: number): Promise<{ end: number; columnsAdded: number }> {
  const registeredColumns = async () =>
    Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM boitata_columns WHERE tenant_id = $1', [aTenant])).rows[0]!.n);
  const columnsAtWindowEnd = await registeredColumns();
  const start = Date.now();
  for (;;) {
    const {
      rows: [open],
    } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM boitata_inbound_queue WHERE message_id = ANY($1::uuid[]) AND status NOT IN ('done', 'dead')`,
      [messageIds],
    );
    if (Number(open!.n) === 0 || Date.now() - start > seconds * 1000) break;
    await sleep(500);
  }
  const end = Date.now();
  return { end, columnsAdded: (await registeredColumns()) - columnsAtWindowEnd };
}

interface FinishedRun {
  a: ScenarioTenant;
  b: ScenarioTenant;
  older: OlderEdgeReceipt[];
  processor: SupervisedProcessor;
  window: TrafficWindow;
  bAnswers: TenantBAnswer[];
  /** B's messages the edge accepted */
  bIds: string[];
  aTally: TenantATally;
  settled: { end: number; columnsAdded: number };
}

/** What happened: from the queue's own timestamps, and from the warehouse (the processor has let go of it). */
async function collectResult(options: NoisyScenarioOptions, run: FinishedRun, progress: (line: string) => void): Promise<NoisyScenarioResult> {
  const { pool } = options;
  const { window, bAnswers, aTally, settled, processor } = run;
  const freshness = await readFreshness(pool, run.bIds);
  const markers = await countMarkersInWarehouse(options.warehouse, run.b.tenant, bAnswers, progress);
  const aLanded = await readTenantALanded(pool, run.a.tenant, window.end);
  const olderEdge = await readOlderEdgeOutcome(pool, run.older);
  const bRefused: Record<string, number> = {};
  for (const r of bAnswers) if (r.status !== 202) bRefused[String(r.status)] = (bRefused[String(r.status)] ?? 0) + 1;

  return {
    tenants: { a: run.a.tenant, b: run.b.tenant },
    b: {
      sent: bAnswers.length,
      refused: bRefused,
      freshness: percentiles(freshness),
      notLanded: freshness.filter((s) => s === Infinity).length,
      rowsPerMarker: markers.rowsPerMarker,
      unexpectedMarkers: markers.unexpectedMarkers,
      acceptLatencyMs: percentiles(bAnswers.map((r) => r.ms)),
    },
    a: {
      answers: aTally.answers,
      acceptedRows: aTally.acceptedRows,
      acceptedMessages: aTally.acceptedMessages,
      acceptLatencyMs: percentiles(aTally.latenciesMs),
      landedRows: aLanded.rows,
      landedMessages: aLanded.messages,
      landedRowsPerSecond: aLanded.rows / ((settled.end - window.start) / 1000),
      settledDuringSettle: aLanded.settledAfterWindow,
      columnsAddedDuringSettle: settled.columnsAdded,
    },
    olderEdge,
    processor: { peakRssBytes: processor.peakRssBytes(), crashes: processor.crashes.map((c) => ({ ...c })), problems: processor.recentProblems.slice(-8) },
    seconds: { window: (window.end - window.start) / 1000, settle: (settled.end - window.end) / 1000 },
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
