// The per-tenant Prometheus gauges, read from the queue when Prometheus scrapes (tenant-health.ts). Label
// cardinality is bounded: at most `limit` tenants (PROCESSOR_METRICS_TENANT_LIMIT) have a `tenant` label of their
// own, the worst ones; the rest are summed under tenant="_other". Each line is at most 10 series, so a scrape adds
// at most 10 × (limit + 1) + 2 series however many tenants there are.
import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { withDatabaseDeadline } from './database-deadline.ts';
import { scrapeOnce } from './scrape-once.ts';
import { readTenantHealthOnce, type TenantHealth, type TenantHealthReport } from './tenant-health.ts';

export interface TenantHealthMetricsOptions {
  /** tenants labelled on their own */
  limit: number;
  windowSeconds: number;
  /** the whole read, the wait for a pool client included */
  deadlineMs: number;
}

type Fill = (gauge: Gauge<string>, line: TenantHealth) => void;

export function registerTenantHealthMetrics(registry: Registry, pool: pg.Pool, options: TenantHealthMetricsOptions): void {
  const query = { limit: options.limit, windowSeconds: options.windowSeconds, tenant: null };
  // A failed or slow read drops the per-tenant series of this scrape (and says so in boitata_tenant_metrics_up)
  // instead of failing the whole /metrics answer: the processor's own counters stay scrapeable.
  const scrape = scrapeOnce(() =>
    withDatabaseDeadline(pool, options.deadlineMs, (client) => readTenantHealthOnce(client, query, options.deadlineMs)).catch(() => null),
  );
  const window = `${options.windowSeconds} s`;
  const perTenant = (name: string, help: string, labelNames: string[], fill: Fill) =>
    new Gauge({
      name,
      help,
      labelNames: ['tenant', ...labelNames],
      registers: [registry],
      async collect() {
        const report = await scrape();
        // A tenant that left the worst set must not keep its last value.
        this.reset();
        for (const line of report === null ? [] : lines(report)) fill(this, line);
      },
    });
  perTenant('boitata_tenant_queue_depth', 'Messages waiting (pending) or in flight (processing), by tenant', ['status'], (gauge, line) => {
    gauge.set({ tenant: line.tenant, status: 'pending' }, line.pending_messages);
    gauge.set({ tenant: line.tenant, status: 'processing' }, line.processing_messages);
  });
  perTenant('boitata_tenant_queue_rows', 'Rows in the messages waiting or in flight, by tenant', ['status'], (gauge, line) => {
    gauge.set({ tenant: line.tenant, status: 'pending' }, line.pending_rows);
    gauge.set({ tenant: line.tenant, status: 'processing' }, line.processing_rows);
  });
  perTenant('boitata_tenant_oldest_waiting_seconds', "Age of the tenant's oldest message not landed yet (0: none waiting)", [], (gauge, line) =>
    gauge.set({ tenant: line.tenant }, line.oldest_waiting_seconds ?? 0),
  );
  perTenant(
    'boitata_tenant_freshness_seconds',
    `Received at the edge to landed (processed_at - received_at), quantiles over the messages landed in the last ${window}; absent when none landed`,
    ['quantile'],
    (gauge, line) => {
      if (line.freshness_p50_seconds !== null) gauge.set({ tenant: line.tenant, quantile: '0.5' }, line.freshness_p50_seconds);
      if (line.freshness_p99_seconds !== null) gauge.set({ tenant: line.tenant, quantile: '0.99' }, line.freshness_p99_seconds);
    },
  );
  perTenant('boitata_tenant_landed_messages', `Messages landed in the last ${window} (the freshness quantiles' sample)`, [], (gauge, line) =>
    gauge.set({ tenant: line.tenant }, line.landed_messages),
  );
  perTenant('boitata_tenant_dead_letters_open', 'Dead letters not replayed, by tenant', [], (gauge, line) =>
    gauge.set({ tenant: line.tenant }, line.dead_letters_open),
  );
  perTenant('boitata_tenant_dead_letters_recent', `Open dead letters that died in the last ${window}, by tenant`, [], (gauge, line) =>
    gauge.set({ tenant: line.tenant }, line.dead_letters_recent),
  );
  new Gauge({
    name: 'boitata_tenant_other_tenants',
    help: 'Tenants summed under tenant="_other" (past PROCESSOR_METRICS_TENANT_LIMIT)',
    registers: [registry],
    async collect() {
      const report = await scrape();
      this.set(report?.other.tenants ?? 0);
    },
  });
  new Gauge({
    name: 'boitata_tenant_metrics_up',
    help: 'Whether this scrape read the per-tenant figures (0: the read failed or passed its deadline; the boitata_tenant_* series are absent)',
    registers: [registry],
    async collect() {
      this.set((await scrape()) === null ? 0 : 1);
    },
  });
}

/** The worst tenants, then `_other` always (zeros when nothing is folded), so sum() over tenants keeps its series. */
const lines = (report: TenantHealthReport): TenantHealth[] => [...report.tenants, report.other];
