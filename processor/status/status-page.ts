// The operator status page, rendered on the server from a StatusSnapshot: self-contained HTML, every text escaped.
import { html, type SafeHtml } from './html.ts';
import type { AliasStatus, ColumnStatus, DeadLetterStatus, StatusSnapshot, TableStatus, TenantStatus } from './status-data.ts';
import { REFRESH_SECONDS, STATUS_PAGE_CSS, STATUS_PAGE_SCRIPT } from './status-page-assets.ts';
import { formatRate, renderThroughputChart } from './throughput-chart.ts';

export function renderStatusPage(snapshot: StatusSnapshot): string {
  return renderDocument(html`<main>${renderSummary(snapshot)}${renderTenants(snapshot.tenants)}${renderDeadLetters(snapshot)}</main>`,
    snapshot.generated_at, snapshot.replay.enabled);
}

/** The page when the snapshot cannot be read (the database is down): the same frame, so auto-refresh recovers. */
export function renderStatusUnavailable(message: string, at: Date): string {
  return renderDocument(html`<main><h2>Status unavailable</h2><p data-testid="status-error">${message}</p></main>`, at.toISOString(), false);
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
<footer>The same data as JSON: <a href="/status.json">/status.json</a> · Prometheus: <a href="/metrics">/metrics</a> · liveness: <a href="/health">/health</a></footer>`}
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

function renderTenants(tenants: readonly TenantStatus[]): SafeHtml {
  if (tenants.length === 0) return html`<h2>Tenants</h2><p class="muted">No tenants yet.</p>`;
  const rows = tenants.map((t) => html`<tr data-testid="tenant-row-${t.id}">
<td><a href="#tenant-${t.id}">${t.id}</a>${t.name === t.id ? null : html` <span class="muted">${t.name}</span>`}</td>
<td class="num" data-testid="tenant-tables">${count(t.tables.length)}</td>
<td class="num" data-testid="tenant-pending">${count(t.queue.pending)}</td>
<td class="num" data-testid="tenant-processing">${count(t.queue.processing)}</td>
<td class="num" data-testid="tenant-oldest">${t.queue.oldest_waiting_seconds === null ? '—' : formatAge(t.queue.oldest_waiting_seconds)}</td>
<td class="num" data-testid="tenant-dead-letters">${count(t.dead_letters_open)}</td></tr>`);
  return html`<h2>Tenants <span class="muted">${count(tenants.length)}</span></h2>
<table data-testid="tenants"><thead><tr><th>Tenant</th><th class="num">Tables</th><th class="num">Pending</th><th class="num">In flight</th><th class="num">Oldest waiting</th><th class="num">Dead letters</th></tr></thead>
<tbody>${rows}</tbody></table>
${tenants.filter((t) => t.tables.length > 0).map(renderTenant)}`;
}

function renderTenant(tenant: TenantStatus): SafeHtml {
  return html`<section class="tenant" id="tenant-${tenant.id}" data-testid="tenant-${tenant.id}"><h3>${tenant.id} <span class="muted">${count(tenant.tables.length)} table${tenant.tables.length === 1 ? '' : 's'}</span></h3>
${tenant.tables.map((table) => renderTable(tenant.id, table))}</section>`;
}

function renderTable(tenantId: string, table: TableStatus): SafeHtml {
  const pii = table.columns.filter((c) => c.pii).length;
  return html`<details class="table" open data-key="${tenantId}/${table.name}" data-testid="table-${tenantId}-${table.name}">
<summary><code>${table.name}</code> <span class="muted">· ${count(table.columns.length)} columns${pii > 0 ? ` · ${pii} PII` : ''} · ${count(table.aliases.length)} aliases · version ${table.schema_version} · <code>${table.warehouse_table}</code> · last loaded ${table.last_loaded_at === null ? 'never' : clockTime(table.last_loaded_at)}</span></summary>
<table data-testid="columns"><thead><tr><th>Column</th><th>Physical</th><th>Type</th><th>PII</th><th>Description</th><th>Tags</th></tr></thead>
<tbody>${table.columns.map(renderColumn)}</tbody></table>
${table.aliases.length === 0 ? null : html`<h4>Aliases</h4><table data-testid="aliases"><thead><tr><th>Field</th><th>Column</th><th>Decided by</th><th>Why</th><th>Since</th></tr></thead>
<tbody>${table.aliases.map(renderAlias)}</tbody></table>`}
</details>`;
}

function renderColumn(column: ColumnStatus): SafeHtml {
  return html`<tr data-testid="column-${column.logical}" data-pii="${column.pii ? 'true' : 'false'}">
<td><code>${column.logical}</code>${column.origin === 'adopted' ? html` <span class="badge" title="found in a table created outside Boitatá">adopted</span>` : null}</td>
<td><code>${column.physical}</code></td><td><code>${column.type}</code></td>
<td>${column.pii ? html`<span class="badge pii" data-testid="pii-flag" title="values are hashed before they are written">PII${column.pii_source === null ? '' : ` · ${column.pii_source}`}</span>` : null}</td>
<td>${column.description ?? html`<span class="muted">—</span>`}</td>
<td>${column.tags.map((tag) => html`<span class="badge">${tag}</span>`)}</td></tr>`;
}

function renderAlias(alias: AliasStatus): SafeHtml {
  return html`<tr data-testid="alias-${alias.field}"><td><code>${alias.field}</code></td><td>→ <code>${alias.column}</code></td><td>${alias.decided_by}</td><td data-testid="alias-why">${alias.why}</td><td class="nowrap">${clockTime(alias.created_at)}</td></tr>`;
}

function renderDeadLetters(snapshot: StatusSnapshot): SafeHtml {
  const { open, latest, limit } = snapshot.dead_letters;
  const replay = snapshot.replay.enabled;
  const shown = open > latest.length ? html` <span class="muted">the latest ${count(limit)} of ${count(open)}</span>` : null;
  if (latest.length === 0) return html`<h2>Dead letters</h2><p class="muted" data-testid="dead-letters-empty">None open.</p>`;
  return html`<h2>Dead letters${shown}</h2>
<table data-testid="dead-letters"><thead><tr><th class="num">ID</th><th>Tenant</th><th>Message</th><th>Code</th><th>Reason <span class="muted">(values redacted)</span></th><th class="num">Attempts</th><th>Dead since</th>${replay ? html`<th></th>` : null}</tr></thead>
<tbody>${latest.map((letter) => renderDeadLetter(letter, replay))}</tbody></table>`;
}

function renderDeadLetter(letter: DeadLetterStatus, replay: boolean): SafeHtml {
  return html`<tr data-testid="dead-letter-${letter.id}"><td class="num">${letter.id}</td><td>${letter.tenant_id}</td><td class="nowrap"><code>${letter.message_id}</code></td>
<td><code>${letter.error_code}</code></td><td class="reason" data-testid="dead-letter-reason">${letter.reason}</td><td class="num">${letter.attempts}</td><td class="nowrap">${clockTime(letter.dead_at)}</td>
${replay ? html`<td><button type="button" class="replay" data-replay="${letter.id}" data-testid="replay-${letter.id}">Replay</button></td>` : null}</tr>`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** "2026-06-12 10:03:04Z" */
const clockTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;

export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}
