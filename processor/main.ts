// The processor's composition root: configuration, Postgres, the warehouse, the loop, the HTTP endpoint, shutdown.
import pg from 'pg';
import { BatchLoader } from './batch-loader.ts';
import { ConfigError, parseConfig, type ProcessorConfig } from './config.ts';
import { startHttpServer } from './http-server.ts';
import { redactUrl } from '../shared/redact-url.ts';
import { createLogger, type Logger } from './logger.ts';
import { runMaintenance } from './maintenance.ts';
import { ProcessorMetrics } from './metrics.ts';
import { Processor, type ProcessorSettings } from './processor.ts';
import { ArrivalListener } from './queue/arrival-listener.ts';
import { QueueStore } from './queue/queue-store.ts';
import { SchemaRegistry } from './schema/schema-registry.ts';
import { createWarehouse } from './warehouse/create-warehouse.ts';
import type { Warehouse } from './warehouse/warehouse.ts';
import type { Server } from 'node:http';
import { resolveDatabase } from '../database/resolve-database.ts';
import { matcherFromConfig } from './ai/matcher-from-config.ts';
import { JobWorker } from './enrichment/job-worker.ts';
import { adminRoutes } from './admin/admin-routes.ts';
import { loadPiiHashKey, PiiHasher } from './schema/pii-hasher.ts';
import { failAbandonedErasures } from './governance/erasure-receipts.ts';

/** Postgres clients of one processor: four schema evolutions at once (two clients each), two kept for the queue. */
const POOL_SIZE = 10;

type Config = ProcessorConfig & { DATABASE_URL: string };
type StageHook = (stage: string) => Promise<void>;

/** `config.DATABASE_URL` must be set: the caller resolves the embedded default first (see resolveDatabase). */
export async function startProcessor(config: Config, log: Logger) {
  const pool = openPool(config, log);
  const { warehouse, description: warehouseDescription } = createWarehouse(config);
  const hook = pauseHook(config, log);
  const tenants = config.PROCESSOR_TENANTS?.split(',') ?? null;
  const { processor, jobs, metrics, hasher, matcher } = await assemble(config, log, { pool, warehouse, hook, tenants });
  const abandoned = await failAbandonedErasures(pool, config.processorId);
  if (abandoned > 0) log.warn('erasures left running by a stopped processor marked failed', { erasures: abandoned });
  const server = await startHttpServer({
    host: config.PROCESSOR_HTTP_HOST,
    port: config.PROCESSOR_HTTP_PORT,
    pool,
    metrics,
    health: processor,
    adminToken: config.PROCESSOR_ADMIN_TOKEN,
    piiHasher: hasher,
    adminRoutes: adminRoutes({ pool, warehouse, hasher, matcher, log, processorId: config.processorId }),
    staleAfterMs: Math.max(config.PROCESSOR_POLL_INTERVAL_MS * 3, (config.PROCESSOR_LEASE_SECONDS + 30) * 1000),
  });
  const maintenanceTimer = startMaintenance(config, log, pool, warehouse, tenants, metrics);
  logStarted(config, log, warehouseDescription, server.address());
  const arrivals = await listenForArrivals(config, log, processor);
  const running = processor.run();
  const jobsRunning = jobs.run();

  /** Finish the batch in hand (up to the grace period), else hand it back; then close everything. */
  const shutdown = async (): Promise<void> => {
    processor.stop();
    jobs.stop();
    await arrivals.close();
    const finished = await Promise.race([
      running.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), config.PROCESSOR_SHUTDOWN_GRACE_SECONDS * 1000).unref()),
    ]);
    if (!finished) {
      log.warn('batch did not finish within the grace period; releasing its lease');
      await processor.releaseCurrent().catch((error: Error) => log.error('release failed', { error }));
    }
    if (maintenanceTimer !== null) clearInterval(maintenanceTimer);
    await jobsRunning;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.end();
    await warehouse.close();
    log.info('processor stopped', { finished_batch: finished });
  };
  return { processor, shutdown, server };
}

// A half-open Postgres must not hang the loop: connecting and each statement have a deadline (then the batch is
// retried, or its lease runs out), and TCP keepalive finds a dead peer.
function openPool(config: Config, log: Logger): pg.Pool {
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: POOL_SIZE, connectionTimeoutMillis: 10_000, query_timeout: 120_000, keepAlive: true });
  pool.on('error', (error) => log.warn('idle Postgres connection failed', { error }));
  return pool;
}

/** Arrivals wake the loop (LISTEN on a connection of its own, besides the pool); the poll stays the fallback. */
async function listenForArrivals(config: Config, log: Logger, processor: Processor): Promise<ArrivalListener> {
  const listener = new ArrivalListener({
    connectionString: config.DATABASE_URL,
    // pg_stat_activity shows whose it is; Postgres keeps 63 bytes of it.
    applicationName: `boitata-arrivals ${config.processorId}`.slice(0, 63),
    onArrival: () => processor.notify(),
    log,
  });
  await listener.start();
  return listener;
}

/** Tests stop the processor at a named stage (BOITATA_PROCESSOR_PAUSE_AT) to crash it there. */
function pauseHook(config: Config, log: Logger): StageHook {
  return async (stage) => {
    if (stage === config.BOITATA_PROCESSOR_PAUSE_AT) {
      log.warn('paused for a test', { stage });
      await new Promise(() => undefined);
    }
  };
}

/** The model, the PII hasher, the schema registry, the loader, the loop and the job worker, wired together. */
async function assemble(config: Config, log: Logger, deps: { pool: pg.Pool; warehouse: Warehouse; hook: StageHook; tenants: string[] | null }) {
  const { pool, warehouse, hook, tenants } = deps;
  const { model, matcher } = matcherFromConfig(config, pool);
  const piiKey = await loadPiiHashKey(pool, config.PII_HASH_KEY);
  if (piiKey.generated && config.PII_HASH_MODE === 'hmac') {
    log.warn('PII_HASH_KEY is not set: using a generated key kept in boitata_settings (set PII_HASH_KEY from a secret store in production)');
  }
  const hasher = new PiiHasher(config.PII_HASH_MODE, piiKey.key);
  const registry = new SchemaRegistry({ pool, poolSize: POOL_SIZE, warehouse, hook, matcher });
  const loader = new BatchLoader({ warehouse, registry, hook, hasher });
  const metrics = new ProcessorMetrics(pool, { tenantLimit: config.PROCESSOR_METRICS_TENANT_LIMIT });
  const jobs = new JobWorker({
    pool,
    warehouse,
    model,
    hasher,
    log,
    tenants,
    pollIntervalMs: config.JOBS_POLL_INTERVAL_MS,
    sweepAgainAfterSeconds: Math.ceil((config.PROCESSOR_POLL_INTERVAL_MS * 2) / 1000) + config.TRINO_STATEMENT_TIMEOUT_SECONDS,
  });
  const queue = new QueueStore(pool, config.processorId, config.PROCESSOR_LEASE_SECONDS, tenants);
  const processor = new Processor({ queue, hook, loader, log, metrics, settings: processorSettings(config) });
  return { processor, jobs, metrics, hasher, matcher };
}

function processorSettings(config: Config): ProcessorSettings {
  return {
    batchSize: config.PROCESSOR_BATCH_SIZE,
    pollIntervalMs: config.PROCESSOR_POLL_INTERVAL_MS,
    leaseSeconds: config.PROCESSOR_LEASE_SECONDS,
    maxAttempts: config.PROCESSOR_MAX_ATTEMPTS,
    lanes: config.PROCESSOR_LANES,
    commitIntervalMs: config.PROCESSOR_COMMIT_INTERVAL_MS,
    claim: {
      rows: config.PROCESSOR_BATCH_MAX_ROWS,
      bytes: config.PROCESSOR_BATCH_MAX_BYTES,
      tenantInFlightRows: config.PROCESSOR_TENANT_MAX_IN_FLIGHT_ROWS,
      messageTextBytes: config.PROCESSOR_MAX_MESSAGE_TEXT_BYTES,
    },
  };
}

function startMaintenance(
  config: Config,
  log: Logger,
  pool: pg.Pool,
  warehouse: Warehouse,
  tenants: string[] | null,
  metrics: ProcessorMetrics,
): NodeJS.Timeout | null {
  if (config.MAINTENANCE_INTERVAL_MINUTES === 0) return null;
  const timer = setInterval(() => {
    runMaintenance(pool, warehouse, log, config.QUEUE_RETENTION_HOURS, tenants, { deadRetentionHours: config.QUEUE_DEAD_RETENTION_HOURS, metrics }).catch(
      (error: Error) => log.warn('maintenance failed', { error }),
    );
  }, config.MAINTENANCE_INTERVAL_MINUTES * 60_000);
  timer.unref();
  return timer;
}

function logStarted(config: Config, log: Logger, warehouse: string, address: ReturnType<Server['address']>): void {
  log.info('processor started', {
    processor_id: config.processorId,
    database: redactUrl(config.DATABASE_URL),
    warehouse,
    batch_size: config.PROCESSOR_BATCH_SIZE,
    poll_interval_ms: config.PROCESSOR_POLL_INTERVAL_MS,
    commit_interval_ms: config.PROCESSOR_COMMIT_INTERVAL_MS,
    model: config.AI_MODEL === undefined ? null : `${config.AI_MODEL} at ${redactUrl(config.AI_BASE_URL)}`,
    pii_hash: config.PII_HASH_MODE,
    http: typeof address === 'object' && address !== null ? `http://${address.address}:${address.port}` : null,
  });
}

if (import.meta.main) {
  let config: ProcessorConfig;
  try {
    config = parseConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const log = createLogger(config.LOG_LEVEL);
  // Signals are handled from the first moment: one that arrives during start-up waits for it, then stops.
  let requested: NodeJS.Signals | null = null;
  let onSignal: (() => void) | null = null;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (requested !== null) return;
      requested = signal;
      log.info('shutting down', { signal });
      onSignal?.();
    });
  }
  let database;
  try {
    database = await resolveDatabase(process.env);
  } catch (error) {
    log.error('no database', { error });
    process.exit(1);
  }
  if (database.origin !== 'configured')
    log.info('DATABASE_URL is not set: using the embedded PostgreSQL', { database: redactUrl(database.url), origin: database.origin });
  const { shutdown } = await startProcessor({ ...config, DATABASE_URL: database.url }, log);
  const stop = () =>
    shutdown()
      .then(() => database.stop())
      .then(
        () => process.exit(0),
        (error: Error) => {
          log.error('shutdown failed', { error });
          process.exit(1);
        },
      );
  if (requested !== null) void stop();
  else onSignal = () => void stop();
}
