// Per-tenant health read from the queue at one moment: queue depth, oldest waiting, freshness of what landed in the
// last minutes, dead letters; the worst tenants each on a line, the rest summed as `_other` (tenant-health-rank.ts).
// Shared by /metrics and the status page. Every read goes through an index, so its cost follows what is waiting,
// what landed in the window and the open dead letters, never the queue's retained history.
import type pg from 'pg';
import { readOnlySnapshot } from './database-deadline.ts';
import {
  foldOtherTenants,
  mergeTenantFigures,
  pickWorstTenants,
  type DeadFigures,
  type LandedFigures,
  type TenantHealth,
  type WaitingFigures,
} from './tenant-health-rank.ts';

export { OTHER_TENANT, type TenantHealth } from './tenant-health-rank.ts';

/** The freshness and "dead lately" window. */
export const TENANT_HEALTH_WINDOW_SECONDS = 5 * 60;
/** PROCESSOR_METRICS_TENANT_LIMIT's default: tenants with a label (and a page row) of their own. */
export const DEFAULT_TENANT_LIMIT = 50;
/**
 * The status page's rows at most whatever the limit: 50 rows of the longest ids and largest numbers are ~38 KB of
 * HTML, which keeps the page under STATUS_PAGE_MAX_BYTES; a larger PROCESSOR_METRICS_TENANT_LIMIT widens /metrics only.
 */
export const TENANT_HEALTH_PAGE_ROWS = 50;

export interface TenantHealthReport {
  window_seconds: number;
  /** tenants shown on their own at most */
  limit: number;
  /** tenants with anything waiting, landed in the window, or an open dead letter */
  active_tenants: number;
  /** worst first (see pickWorstTenants) */
  tenants: TenantHealth[];
  /** the active tenants past the limit, summed (`tenants: 0` when there are none) */
  other: TenantHealth;
}

export interface TenantHealthQuery {
  limit: number;
  windowSeconds: number;
  /** one tenant only (its status page view); null: every tenant */
  tenant: string | null;
}

// The messages not landed yet, on the partial indexes of the claimable messages (pending/processing): the same
// set the boitata_queue_depth gauge counts, never the done rows kept for QUEUE_RETENTION_HOURS.
const WAITING_SQL = `
SELECT tenant_id,
       count(*) FILTER (WHERE status = 'pending')::float8 AS pending_messages,
       count(*) FILTER (WHERE status = 'processing')::float8 AS processing_messages,
       coalesce(sum(row_count) FILTER (WHERE status = 'pending'), 0)::float8 AS pending_rows,
       coalesce(sum(row_count) FILTER (WHERE status = 'processing'), 0)::float8 AS processing_rows,
       extract(epoch FROM now() - min(received_at))::float8 AS oldest_waiting_seconds
  FROM boitata_inbound_queue
 WHERE status IN ('pending', 'processing') AND ($1::text IS NULL OR tenant_id = $1)
 GROUP BY tenant_id`;

// Landed in the window, on boitata_inbound_queue_processed (processed_at WHERE status = 'done'). A re-driven message
// was received long before it landed again: its age says nothing about how fast messages land, so it is left out.
const LANDED_SQL = `
SELECT tenant_id, count(*)::float8 AS landed_messages,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at))::float8 AS freshness_p50_seconds,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at))::float8 AS freshness_p99_seconds
  FROM boitata_inbound_queue
 WHERE status = 'done' AND processed_at > now() - make_interval(secs => $1) AND redrives = 0 AND ($2::text IS NULL OR tenant_id = $2)
 GROUP BY tenant_id`;

// The same messages of the tenants summed as _other, together (percentiles of percentiles mean nothing).
const OTHER_FRESHNESS_SQL = `
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at))::float8 AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at))::float8 AS p99
  FROM boitata_inbound_queue
 WHERE status = 'done' AND processed_at > now() - make_interval(secs => $1) AND redrives = 0 AND tenant_id <> ALL($2::text[])`;

// Open dead letters, on boitata_dead_letters_open (tenant_id, dead_at WHERE replayed_at IS NULL): an index-only scan.
const DEAD_SQL = `
SELECT tenant_id, count(*)::float8 AS dead_letters_open,
       count(*) FILTER (WHERE dead_at > now() - make_interval(secs => $1))::float8 AS dead_letters_recent
  FROM boitata_dead_letters
 WHERE replayed_at IS NULL AND ($2::text IS NULL OR tenant_id = $2)
 GROUP BY tenant_id`;

/**
 * Reads on `client`, inside the caller's transaction and statement_timeout (the status snapshot's, or the scrape's:
 * readTenantHealthOnce), so the figures are of one moment.
 */
export async function readTenantHealth(client: pg.ClientBase, query: TenantHealthQuery): Promise<TenantHealthReport> {
  const waiting = (await client.query<WaitingFigures>(WAITING_SQL, [query.tenant])).rows;
  const landed = (await client.query<LandedFigures>(LANDED_SQL, [query.windowSeconds, query.tenant])).rows;
  const dead = (await client.query<DeadFigures>(DEAD_SQL, [query.windowSeconds, query.tenant])).rows;
  const figures = mergeTenantFigures(waiting, landed, dead);
  const { shown, folded } = pickWorstTenants(figures, query.limit);
  const otherFreshness = folded.some((f) => f.landed_messages > 0)
    ? (await client.query<{ p50: number | null; p99: number | null }>(OTHER_FRESHNESS_SQL, [query.windowSeconds, shown.map((f) => f.tenant)])).rows[0]!
    : null;
  return {
    window_seconds: query.windowSeconds,
    limit: query.limit,
    active_tenants: figures.length,
    tenants: shown.map((f) => ({ ...f, tenants: 1 })),
    other: foldOtherTenants(folded, otherFreshness),
  };
}

/** A read of its own (the scrape's): one read-only snapshot, each statement under `timeoutMs`. */
export function readTenantHealthOnce(client: pg.ClientBase, query: TenantHealthQuery, timeoutMs: number): Promise<TenantHealthReport> {
  return readOnlySnapshot(client, timeoutMs, (snapshot) => readTenantHealth(snapshot, query));
}
