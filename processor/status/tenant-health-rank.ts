// Which tenants get a line of their own (a Prometheus label value, a row of the status page) and which are summed
// under `_other`: the worst first, taken by turns from four rankings, so the label set stays bounded whatever the
// number of tenants. Pure: the figures come from tenant-health.ts.

/** The label value (and page row) of the tenants past the limit; tenant ids cannot start with `_` (migration 0001). */
export const OTHER_TENANT = '_other';

/** One tenant's figures at one moment: its waiting messages, what it landed in the window, its dead letters. */
export interface TenantFigures {
  tenant: string;
  pending_messages: number;
  processing_messages: number;
  pending_rows: number;
  processing_rows: number;
  /** since received_at of its oldest message not landed yet (pending or in flight); null: nothing waiting */
  oldest_waiting_seconds: number | null;
  /** messages landed in the window (re-drives left out: they were received long before) */
  landed_messages: number;
  /** processed_at − received_at of those messages; null: none landed */
  freshness_p50_seconds: number | null;
  freshness_p99_seconds: number | null;
  dead_letters_open: number;
  /** of the open dead letters, those that died in the window */
  dead_letters_recent: number;
}

export interface TenantHealth extends TenantFigures {
  /** 1 for a tenant; for `_other`, how many tenants it sums (0: none) */
  tenants: number;
}

export interface WaitingFigures {
  tenant_id: string;
  pending_messages: number;
  processing_messages: number;
  pending_rows: number;
  processing_rows: number;
  oldest_waiting_seconds: number | null;
}

export interface LandedFigures {
  tenant_id: string;
  landed_messages: number;
  freshness_p50_seconds: number | null;
  freshness_p99_seconds: number | null;
}

export interface DeadFigures {
  tenant_id: string;
  dead_letters_open: number;
  dead_letters_recent: number;
}

const EMPTY: Omit<TenantFigures, 'tenant'> = {
  pending_messages: 0,
  processing_messages: 0,
  pending_rows: 0,
  processing_rows: 0,
  oldest_waiting_seconds: null,
  landed_messages: 0,
  freshness_p50_seconds: null,
  freshness_p99_seconds: null,
  dead_letters_open: 0,
  dead_letters_recent: 0,
};

/** One line per tenant that has anything to report, from the three per-tenant reads. */
export function mergeTenantFigures(waiting: readonly WaitingFigures[], landed: readonly LandedFigures[], dead: readonly DeadFigures[]): TenantFigures[] {
  const byTenant = new Map<string, TenantFigures>();
  const line = (tenant: string) => byTenant.get(tenant) ?? byTenant.set(tenant, { tenant, ...EMPTY }).get(tenant)!;
  for (const { tenant_id, ...figures } of [...waiting, ...landed, ...dead]) Object.assign(line(tenant_id), figures);
  return [...byTenant.values()];
}

/**
 * What makes a tenant "worst", one ranking each: waiting longest, deepest queue, most open dead letters, slowest
 * landing (p99). A tenant is ranked only where it has something (an idle tenant with old dead letters is ranked by
 * those alone).
 */
const RANKINGS: ReadonlyArray<(figures: TenantFigures) => number | null> = [
  (f) => f.oldest_waiting_seconds,
  (f) => (f.pending_messages + f.processing_messages > 0 ? f.pending_messages + f.processing_messages : null),
  (f) => (f.dead_letters_open > 0 ? f.dead_letters_open : null),
  (f) => f.freshness_p99_seconds,
];

/**
 * At most `limit` tenants, taken by turns from each ranking (its worst not yet taken), so each kind of trouble gets
 * lines even when one tenant leads another ranking by far; ties go to the smaller tenant id so the set is stable
 * between scrapes. `shown` is in the order taken (worst first); `folded` is the rest.
 */
export function pickWorstTenants(figures: readonly TenantFigures[], limit: number): { shown: TenantFigures[]; folded: TenantFigures[] } {
  const rankings = RANKINGS.map((score) =>
    figures
      .flatMap((f) => {
        const value = score(f);
        return value === null ? [] : [{ f, value }];
      })
      .sort((a, b) => b.value - a.value || (a.f.tenant < b.f.tenant ? -1 : a.f.tenant > b.f.tenant ? 1 : 0))
      .map(({ f }) => f),
  );
  const taken = new Map<string, TenantFigures>();
  const cursors = rankings.map(() => 0);
  for (let progressed = true; progressed && taken.size < limit;) {
    progressed = false;
    for (const [i, ranking] of rankings.entries()) {
      if (taken.size >= limit) break;
      let cursor = cursors[i]!;
      while (cursor < ranking.length && taken.has(ranking[cursor]!.tenant)) cursor++;
      cursors[i] = cursor;
      const next = ranking[cursor];
      if (next === undefined) continue;
      taken.set(next.tenant, next);
      progressed = true;
    }
  }
  return { shown: [...taken.values()], folded: figures.filter((f) => !taken.has(f.tenant)) };
}

/**
 * The `_other` line: the folded tenants' counts summed, their oldest waiting the oldest of all; percentiles do not
 * add up, so its freshness is read over their messages together (`freshness`, null when none landed).
 */
export function foldOtherTenants(folded: readonly TenantFigures[], freshness: { p50: number | null; p99: number | null } | null): TenantHealth {
  const sum = (pick: (f: TenantFigures) => number) => folded.reduce((total, f) => total + pick(f), 0);
  const oldest = folded.reduce<number | null>((max, f) => (f.oldest_waiting_seconds === null ? max : Math.max(max ?? 0, f.oldest_waiting_seconds)), null);
  return {
    tenant: OTHER_TENANT,
    tenants: folded.length,
    pending_messages: sum((f) => f.pending_messages),
    processing_messages: sum((f) => f.processing_messages),
    pending_rows: sum((f) => f.pending_rows),
    processing_rows: sum((f) => f.processing_rows),
    oldest_waiting_seconds: oldest,
    landed_messages: sum((f) => f.landed_messages),
    freshness_p50_seconds: freshness?.p50 ?? null,
    freshness_p99_seconds: freshness?.p99 ?? null,
    dead_letters_open: sum((f) => f.dead_letters_open),
    dead_letters_recent: sum((f) => f.dead_letters_recent),
  };
}
