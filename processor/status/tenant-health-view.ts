// The status page's tenant health table: one row per tenant of the report (the worst, bounded like the /metrics
// labels), then `_other`. Counts and ages only: never a payload value.
import { html, type SafeHtml } from './html.ts';
import { count, formatAge } from './status-catalog-page.ts';
import { viewQuery } from './status-view.ts';
import { OTHER_TENANT, type TenantHealth, type TenantHealthReport } from './tenant-health.ts';

/** Freshness is often under a second (the quiet-time target is 100 ms): milliseconds there, formatAge above a minute. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 1) return `${Math.round(Math.max(0, seconds) * 1000)} ms`;
  if (seconds < 60) return `${(Math.round(seconds * 10) / 10).toFixed(1)} s`;
  return formatAge(seconds);
}

/** `tenant`: the tenant view's tenant (its one row, no `_other`); null on the overview. */
export function renderTenantHealth(report: TenantHealthReport, tenant: string | null): SafeHtml {
  const window = `last ${Math.round(report.window_seconds / 60)} min`;
  const rows = tenant === null && report.other.tenants > 0 ? [...report.tenants, report.other] : report.tenants;
  const bound =
    tenant === null
      ? html` <span class="muted" data-testid="tenant-health-bound">worst first, at most ${count(report.limit)} of ${count(report.active_tenants)} active tenants (PROCESSOR_METRICS_TENANT_LIMIT)${report.other.tenants > 0 ? html`, ${count(report.other.tenants)} more summed as _other` : null}</span>`
      : null;
  if (rows.length === 0)
    return html`<h2>Tenant health${bound}</h2><p class="muted" data-testid="tenant-health-empty">Nothing waiting, landed in the ${window} or dead-lettered.</p>`;
  return html`<h2>Tenant health${bound}</h2>
<table data-testid="tenant-health"><thead><tr><th>Tenant</th><th class="num">Pending</th><th class="num">In flight</th><th class="num">Rows waiting</th><th class="num">Oldest waiting</th>
<th class="num">Landed <span class="muted">${window}</span></th><th class="num">Freshness p50</th><th class="num">Freshness p99</th><th class="num">Dead letters <span class="muted">open (${window})</span></th></tr></thead>
<tbody>${rows.map(renderRow)}</tbody></table>`;
}

function renderRow(line: TenantHealth): SafeHtml {
  const name =
    line.tenant === OTHER_TENANT
      ? html`<span class="muted">_other (${count(line.tenants)} tenants)</span>`
      : html`<a href="/status${viewQuery({ tenant: line.tenant })}">${line.tenant}</a>`;
  return html`<tr data-testid="tenant-health-${line.tenant}"><td>${name}</td>
<td class="num" data-testid="health-pending">${count(line.pending_messages)}</td><td class="num" data-testid="health-processing">${count(line.processing_messages)}</td>
<td class="num" data-testid="health-rows">${count(line.pending_rows + line.processing_rows)}</td>
<td class="num" data-testid="health-oldest">${line.oldest_waiting_seconds === null ? '—' : formatAge(line.oldest_waiting_seconds)}</td>
<td class="num" data-testid="health-landed">${count(line.landed_messages)}</td>
<td class="num" data-testid="health-p50">${formatDuration(line.freshness_p50_seconds)}</td><td class="num" data-testid="health-p99">${formatDuration(line.freshness_p99_seconds)}</td>
<td class="num" data-testid="health-dead">${count(line.dead_letters_open)} (${count(line.dead_letters_recent)})</td></tr>`;
}
