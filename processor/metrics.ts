// The processor's Prometheus metrics; queue depth and lag (in all, and per tenant) are read from Postgres at scrape time.
import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { STATUS_DATABASE_DEADLINE_MS, withDatabaseDeadline } from './status/database-deadline.ts';
import { scrapeOnce } from './status/scrape-once.ts';
import { DEFAULT_TENANT_LIMIT, TENANT_HEALTH_WINDOW_SECONDS } from './status/tenant-health.ts';
import { registerTenantHealthMetrics } from './status/tenant-health-metrics.ts';

export class ProcessorMetrics {
  readonly registry = new Registry();
  /** PROCESSOR_METRICS_TENANT_LIMIT: tenants with a `tenant` label (and a status page row) of their own */
  readonly tenantLimit: number;
  readonly batches = new Counter({
    name: 'boitata_processor_batches_total',
    help: 'Batches processed, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rows = new Counter({ name: 'boitata_processor_rows_total', help: 'Rows written to the warehouse', registers: [this.registry] });
  readonly messages = new Counter({
    name: 'boitata_processor_messages_total',
    help: 'Queue messages settled, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'boitata_processor_failures_total',
    help: 'Batch failures, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'boitata_processor_batch_seconds',
    help: 'Time to land one batch',
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });
  readonly freshnessSeconds = new Histogram({
    name: 'boitata_processor_freshness_seconds',
    help: 'From received at the edge to written in the warehouse',
    buckets: [0.5, 1, 2, 3, 5, 10, 20, 60, 300],
    registers: [this.registry],
  });

  readonly retentionRows = new Counter({
    name: 'boitata_retention_deleted_rows_total',
    help: "Warehouse rows deleted by retention (received longer ago than their table's retention), by tenant",
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });
  readonly queuePruned = new Counter({
    name: 'boitata_queue_pruned_messages_total',
    help: 'Queue rows deleted by maintenance, by status (done: QUEUE_RETENTION_HOURS; dead: QUEUE_DEAD_RETENTION_HOURS)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor(pool: pg.Pool, options: { tenantLimit?: number } = {}) {
    this.tenantLimit = options.tenantLimit ?? DEFAULT_TENANT_LIMIT;
    // Zero every labelled series up front, so a scrape shows them before the first event.
    for (const outcome of ['ok', 'failed']) this.batches.inc({ outcome }, 0);
    for (const outcome of ['done', 'dead']) this.messages.inc({ outcome }, 0);
    for (const kind of ['warehouse_transient', 'warehouse_permanent', 'lease_lost', 'other']) this.failures.inc({ kind }, 0);
    for (const status of ['done', 'dead']) this.queuePruned.inc({ status }, 0);
    // One query for the three gauges, run when Prometheus scrapes; each gauge awaits it (scrape-once.ts says why).
    // Under a deadline: a half-open Postgres would hold the scrape (and a pool client) forever.
    const queue = scrapeOnce(async () => {
      const { rows } = await withDatabaseDeadline(pool, STATUS_DATABASE_DEADLINE_MS, (client) =>
        client.query<{ pending: string; processing: string; oldest: number | null; dead: string }>(
          `SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'processing') AS processing,
                extract(epoch FROM clock_timestamp() - min(received_at))::float8 AS oldest,
                (SELECT count(*) FROM boitata_dead_letters WHERE replayed_at IS NULL) AS dead
           FROM boitata_inbound_queue WHERE status IN ('pending', 'processing')`,
        ),
      );
      return rows[0];
    });
    new Gauge({
      name: 'boitata_queue_oldest_message_age_seconds',
      help: 'Age of the oldest message not yet landed',
      registers: [this.registry],
      async collect() {
        this.set((await queue())?.oldest ?? 0);
      },
    });
    new Gauge({
      name: 'boitata_dead_letters_open',
      help: 'Dead letters not replayed',
      registers: [this.registry],
      async collect() {
        this.set(Number((await queue())?.dead ?? 0));
      },
    });
    new Gauge({
      name: 'boitata_queue_depth',
      help: 'Messages waiting or in flight, by status',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const row = await queue();
        this.set({ status: 'pending' }, Number(row?.pending ?? 0));
        this.set({ status: 'processing' }, Number(row?.processing ?? 0));
      },
    });
    registerTenantHealthMetrics(this.registry, pool, {
      limit: this.tenantLimit,
      windowSeconds: TENANT_HEALTH_WINDOW_SECONDS,
      deadlineMs: STATUS_DATABASE_DEADLINE_MS,
    });
  }
}
