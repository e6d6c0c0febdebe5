// The operator status page, rendered on the server from a StatusSnapshot: self-contained HTML, every text escaped,
// one view at a time (overview, a tenant, a table) so its size is bounded whatever the catalog holds.
import { html, type SafeHtml } from './html.ts';
import { clockTime, count, formatAge, renderColumnWarnings, renderOneTable, renderTenants, renderTenantTables } from './status-catalog-page.ts';
import type { DeadLetterStatus, StatusSnapshot } from './status-data.ts';
import { viewQuery } from './status-view.ts';
import { REFRESH_SECONDS, STATUS_PAGE_CSS, STATUS_PAGE_SCRIPT } from './status-page-assets.ts';
import { formatRate, renderThroughputChart } from './throughput-chart.ts';
import { renderTenantHealth } from './tenant-health-view.ts';

export { formatAge };

export function renderStatusPage(snapshot: StatusSnapshot): string {
  return renderDocument(
    html`<main>${renderSummary(snapshot)}${renderTenantHealth(snapshot.tenant_health, snapshot.view.tenant)}${renderColumnWarnings(snapshot)}${renderCatalog(snapshot)}${renderDeadLetters(snapshot)}</main>`,
    snapshot.generated_at,
    snapshot.replay.enabled,
  );
}

/** The page when the snapshot cannot be read (the database is down, no such tenant): the same frame, so auto-refresh recovers. */
export function renderStatusUnavailable(message: string, at: Date, heading = 'Status unavailable'): string {
  return renderDocument(
    html`<main><h2>${heading}</h2><p data-testid="status-error">${message}</p><p><a href="/status">the overview</a></p></main>`,
    at.toISOString(),
    false,
  );
}

function renderCatalog(snapshot: StatusSnapshot): SafeHtml {
  const { view, tables } = snapshot;
  const limit = snapshot.limits.maxColumnsPerTable;
  if (view.tenant === null || tables === null) return renderTenants(snapshot.tenants);
  const crumb = html`<p class="crumbs" data-testid="crumbs"><a href="/status">all tenants</a></p>`;
  const tenantLine = renderTenants({ ...snapshot.tenants, pages: 1 });
  return view.table === null
    ? html`${crumb}${tenantLine}${renderTenantTables(view.tenant, tables, limit)}`
    : html`${crumb}${tenantLine}${renderOneTable(view.tenant, tables, limit)}`;
}

function renderDocument(main: SafeHtml, generatedAt: string, replayEnabled: boolean): string {
  const admin = replayEnabled
    ? html`<form id="admin-form" data-testid="admin-form" autocomplete="off">
<input id="admin-token" data-testid="admin-token" type="password" placeholder="admin token" aria-label="Admin token" autocomplete="off">
<button type="submit" data-testid="admin-token-use">Use token</button><button type="button" id="admin-forget" hidden>Forget</button>
<span class="meta" id="admin-state" data-testid="admin-state"></span></form>`
    : html`<span class="meta" data-testid="read-only">read-only: no admin token configured (PROCESSOR_ADMIN_TOKEN)</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Boitatá processor status</title><link rel="icon" href="data:,">
<noscript><meta http-equiv="refresh" content="${REFRESH_SECONDS}"></noscript>
<style>${STATUS_PAGE_CSS}</style></head>
<body>
${html`<header><h1>Boitatá processor status</h1>
<span class="meta">as of <time id="generated" data-testid="generated-at" datetime="${generatedAt}">${clockTime(generatedAt)}</time> · <span id="refresh-state">refreshes every ${REFRESH_SECONDS} s</span></span>
${admin}</header>
<div id="notice" role="status" data-testid="notice" hidden></div>
${main}
<footer>Find a message: <a href="/messages" data-testid="message-search-link">message search</a> · The same data as JSON: <a href="/status.json">/status.json</a> · Prometheus: <a href="/metrics">/metrics</a> · liveness: <a href="/health">/health</a></footer>`}
<script>${STATUS_PAGE_SCRIPT}</script>
</body></html>
`;
}

function renderSummary(snapshot: StatusSnapshot): SafeHtml {
  const { queue, throughput, processor, dead_letters: dead } = snapshot;
  const failures = Object.entries(processor.failures).sort(([a], [b]) => a.localeCompare(b));
  return html`<section class="cards" data-testid="summary">
${card('Pending', count(queue.pending), 'queue-pending', 'waiting to be claimed')}
${card('In flight', count(queue.processing), 'queue-processing', 'claimed, lease running')}
${card('Oldest waiting', queue.oldest_waiting_seconds === null ? '—' : formatAge(queue.oldest_waiting_seconds), 'queue-oldest', 'age of the oldest not landed')}
${card('Rows/s', formatRate(throughput.rows_per_second_last_minute), 'rows-per-second', 'last minute, all processors')}
${card('Dead letters', count(dead.open), 'dead-letters-open', 'open (not replayed)', dead.open > 0)}
${card('Batches', `${count(processor.batches.ok)} / ${count(processor.batches.failed)}`, 'batches', 'ok / failed, this processor', processor.batches.failed > 0)}
</section>
<div class="row">
<div class="panel"><h2>Rows landed per second <span class="muted">last ${Math.round(throughput.window_seconds / 60)} min, ${throughput.bucket_seconds}-s buckets</span></h2>
${renderThroughputChart(throughput)}
<p data-testid="throughput-totals">${count(throughput.rows)} rows in ${count(throughput.messages)} messages landed by every processor (from the queue's processed_at and row_count)</p></div>
<div class="panel"><h2>This processor <span class="muted">since it started</span></h2>
<dl class="counters" data-testid="processor-counters">
<dt>batches ok</dt><dd data-testid="batches-ok">${count(processor.batches.ok)}</dd>
<dt>batches failed</dt><dd data-testid="batches-failed">${count(processor.batches.failed)}</dd>
${failures.map(([kind, value]) => html`<dt>failures: ${kind.replaceAll('_', ' ')}</dt><dd>${count(value)}</dd>`)}
<dt>rows written</dt><dd>${count(processor.rows)}</dd>
<dt>messages done</dt><dd>${count(processor.messages.done)}</dd>
<dt>messages dead-lettered</dt><dd>${count(processor.messages.dead)}</dd>
</dl></div>
</div>`;
}

function card(label: string, value: string, testId: string, note: string, alert = false): SafeHtml {
  return html`<div class="card${alert ? ' alert' : ''}"><div class="label">${label}</div><div class="value" data-testid="${testId}">${value}</div><div class="note">${note}</div></div>`;
}

function renderDeadLetters(snapshot: StatusSnapshot): SafeHtml {
  const { open, latest, older } = snapshot.dead_letters;
  const replay = snapshot.replay.enabled;
  const of = snapshot.view.tenant === null ? '' : ` of ${snapshot.view.tenant}`;
  const shown =
    open > latest.length ? html` <span class="muted" data-testid="dead-letters-shown">${count(latest.length)} of ${count(open)}, newest first</span>` : null;
  if (latest.length === 0)
    return html`<h2>Dead letters${of}</h2><p class="muted" data-testid="dead-letters-empty">None open${open > 0 ? ' here: older pages end' : ''}.</p>`;
  const base = { tenant: snapshot.view.tenant ?? undefined, table: snapshot.view.table ?? undefined, page: snapshot.view.page };
  const pager = html`<nav class="pager" data-testid="pager-dead-letters">${older === null ? null : html`<a href="/status${viewQuery({ ...base, deadLettersBefore: older })}" data-testid="dead-letters-older">older →</a>`}
${latest.length < open ? html` <a href="/status${viewQuery(base)}">newest</a>` : null}</nav>`;
  return html`<h2>Dead letters${of}${shown}</h2>
<table data-testid="dead-letters"><thead><tr><th class="num">ID</th><th>Tenant</th><th>Message</th><th>Code</th><th>Reason <span class="muted">(values redacted)</span></th><th class="num">Attempts</th><th>Dead since</th>${replay ? html`<th></th>` : null}</tr></thead>
<tbody>${latest.map((letter) => renderDeadLetter(letter, replay))}</tbody></table>
${pager}`;
}

function renderDeadLetter(letter: DeadLetterStatus, replay: boolean): SafeHtml {
  return html`<tr data-testid="dead-letter-${letter.id}"><td class="num">${letter.id}</td><td>${letter.tenant_id}</td><td class="nowrap"><code>${letter.message_id}</code></td>
<td><code>${letter.error_code}</code></td><td class="reason" data-testid="dead-letter-reason">${letter.reason}</td><td class="num">${letter.attempts}</td><td class="nowrap">${clockTime(letter.dead_at)}</td>
${replay ? html`<td><button type="button" class="replay" data-replay="${letter.id}" data-testid="replay-${letter.id}">Replay</button></td>` : null}</tr>`;
}
