// The catalog parts of the status page: the tenants' summary lines, a tenant's tables (counts and the first
// columns), one table's columns a page at a time, the column-cap warnings and the pagers between them. Pure.
import { html, type SafeHtml } from './html.ts';
import type { AliasStatus, ColumnStatus, ColumnWarning, Paged, StatusSnapshot, TableStatus, TenantStatus } from './status-data.ts';
import { viewQuery } from './status-view.ts';

export const count = (n: number) => n.toLocaleString('en-US');

/** "2026-06-12 10:03:04Z" */
export const clockTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;

export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

const href = (view: Parameters<typeof viewQuery>[0]) => `/status${viewQuery(view)}`;

/** "orders has 950 of 1,000 columns; fields past the limit go to _boitata_rescue" */
export function columnWarningText(table: string, columns: number, limit: number): string {
  return columns >= limit
    ? `${table} has reached the limit of ${count(limit)} columns: new fields go to _boitata_rescue`
    : `${table} has ${count(columns)} of ${count(limit)} columns; fields past the limit go to _boitata_rescue`;
}

export function renderColumnWarnings(snapshot: StatusSnapshot): SafeHtml | null {
  const { total, tables } = snapshot.column_warnings;
  if (tables.length === 0) return null;
  const more =
    total > tables.length
      ? html`<li class="muted">and ${count(total - tables.length)} more tables at ${count(snapshot.limits.columnWarningAt)} columns or more</li>`
      : null;
  return html`<section class="warnings" role="alert" data-testid="column-warnings"><h2>Tables near the column limit</h2><ul>
${tables.map((w: ColumnWarning) => html`<li data-testid="column-warning-${w.tenant_id}-${w.table}"><a href="${href({ tenant: w.tenant_id, table: w.table })}">${w.tenant_id}</a>: ${columnWarningText(w.table, w.columns, snapshot.limits.maxColumnsPerTable)}</li>`)}
${more}</ul></section>`;
}

export function renderTenants(tenants: Paged<TenantStatus>): SafeHtml {
  if (tenants.total === 0) return html`<h2>Tenants</h2><p class="muted">No tenants yet.</p>`;
  const rows = tenants.items.map(
    (t) => html`<tr data-testid="tenant-row-${t.id}">
<td><a href="${href({ tenant: t.id })}">${t.id}</a>${t.name === t.id ? null : html` <span class="muted">${t.name}</span>`}</td>
<td class="num" data-testid="tenant-tables">${count(t.table_count)}</td>
<td class="num" data-testid="tenant-pending">${count(t.queue.pending)}</td>
<td class="num" data-testid="tenant-processing">${count(t.queue.processing)}</td>
<td class="num" data-testid="tenant-oldest">${t.queue.oldest_waiting_seconds === null ? '—' : formatAge(t.queue.oldest_waiting_seconds)}</td>
<td class="num" data-testid="tenant-dead-letters">${count(t.dead_letters_open)}</td></tr>`,
  );
  return html`<h2>Tenants <span class="muted">${count(tenants.total)}</span></h2>
<table data-testid="tenants"><thead><tr><th>Tenant</th><th class="num">Tables</th><th class="num">Pending</th><th class="num">In flight</th><th class="num">Oldest waiting</th><th class="num">Dead letters</th></tr></thead>
<tbody>${rows}</tbody></table>
${renderPager(tenants, 'tenants', (page) => href({ page }))}`;
}

/** A tenant's view: its tables, a page at a time, each with its counts and first columns and aliases. */
export function renderTenantTables(tenant: string, tables: Paged<TableStatus>, limit: number): SafeHtml {
  return html`<section class="tenant" id="tenant-${tenant}" data-testid="tenant-${tenant}"><h2>Tables of ${tenant} <span class="muted">${count(tables.total)}</span></h2>
${tables.total === 0 ? html`<p class="muted">No tables yet.</p>` : tables.items.map((table) => renderTable(tenant, table, limit, false))}
${renderPager(tables, 'tables', (page) => href({ tenant, page }))}</section>`;
}

/** A table's view: the table with one page of its columns and aliases. */
export function renderOneTable(tenant: string, tables: Paged<TableStatus>, limit: number): SafeHtml {
  const table = tables.items[0]!;
  return html`<section class="tenant" data-testid="tenant-${tenant}"><h2><a href="${href({ tenant })}">${tenant}</a> / ${table.name}</h2>
${renderTable(tenant, table, limit, true)}
${renderPager(tables, 'columns', (page) => href({ tenant, table: table.name, page }))}</section>`;
}

function renderTable(tenantId: string, table: TableStatus, limit: number, paged: boolean): SafeHtml {
  const shownColumns = table.columns.length === 0 ? 'none here' : `${count(table.columns_from + 1)}–${count(table.columns_from + table.columns.length)}`;
  const all = href({ tenant: tenantId, table: table.name });
  const moreColumns =
    !paged && table.column_count > table.columns.length
      ? html`<p class="more"><a href="${all}" data-testid="all-columns">all ${count(table.column_count)} columns →</a></p>`
      : null;
  const moreAliases =
    !paged && table.alias_count > table.aliases.length ? html`<p class="more"><a href="${all}">all ${count(table.alias_count)} aliases →</a></p>` : null;
  return html`<details class="table" open data-key="${tenantId}/${table.name}" data-testid="table-${tenantId}-${table.name}">
<summary>${paged ? html`<code>${table.name}</code>` : html`<a href="${all}"><code>${table.name}</code></a>`} <span class="muted">· <span data-testid="column-count">${count(table.column_count)}</span> columns${table.pii_count > 0 ? ` · ${count(table.pii_count)} PII` : ''} · ${count(table.alias_count)} aliases · version ${table.schema_version} · <code>${table.warehouse_table}</code> · last loaded ${table.last_loaded_at === null ? 'never' : clockTime(table.last_loaded_at)}</span></summary>
${table.near_column_cap ? html`<p class="warning" data-testid="column-warning">${columnWarningText(table.name, table.column_count, limit)}</p>` : null}
<table data-testid="columns"><caption class="muted">columns ${shownColumns} of ${count(table.column_count)}, in the order they were added</caption>
<thead><tr><th class="num">#</th><th>Column</th><th>Physical</th><th>Type</th><th>PII</th><th>Description</th><th>Tags</th></tr></thead>
<tbody>${table.columns.map((column, i) => renderColumn(column, table.columns_from + i + 1))}</tbody></table>
${moreColumns}
${
  table.aliases.length === 0
    ? null
    : html`<h4>Aliases <span class="muted">${count(table.aliases_from + 1)}–${count(table.aliases_from + table.aliases.length)} of ${count(table.alias_count)}</span></h4><table data-testid="aliases"><thead><tr><th>Field</th><th>Column</th><th>Decided by</th><th>Why</th><th>Since</th></tr></thead>
<tbody>${table.aliases.map(renderAlias)}</tbody></table>`
}
${moreAliases}
</details>`;
}

function renderColumn(column: ColumnStatus, position: number): SafeHtml {
  return html`<tr data-testid="column-${column.logical}" data-pii="${column.pii ? 'true' : 'false'}"><td class="num">${position}</td>
<td><code>${column.logical}</code>${column.origin === 'adopted' ? html` <span class="badge" title="found in a table created outside Boitatá">adopted</span>` : null}</td>
<td><code>${column.physical}</code></td><td><code>${column.type}</code></td>
<td>${column.pii ? html`<span class="badge pii" data-testid="pii-flag" title="values are hashed before they are written">PII${column.pii_source === null ? '' : ` · ${column.pii_source}`}</span>` : null}</td>
<td>${column.description ?? html`<span class="muted">—</span>`}</td>
<td>${column.tags.map((tag) => html`<span class="badge">${tag}</span>`)}</td></tr>`;
}

function renderAlias(alias: AliasStatus): SafeHtml {
  return html`<tr data-testid="alias-${alias.field}"><td><code>${alias.field}</code></td><td>→ <code>${alias.column}</code></td><td>${alias.decided_by}</td><td data-testid="alias-why">${alias.why}</td><td class="nowrap">${clockTime(alias.created_at)}</td></tr>`;
}

/** "page 2 of 10 · ← previous · next →", nothing when everything fits on one page. */
export function renderPager(paged: { page: number; pages: number }, what: string, link: (page: number) => string): SafeHtml | null {
  if (paged.pages <= 1 && paged.page <= 1) return null;
  const previous =
    paged.page > 1 ? html`<a href="${link(Math.min(paged.page - 1, paged.pages))}" rel="prev" data-testid="pager-previous">← previous</a>` : null;
  const next = paged.page < paged.pages ? html`<a href="${link(paged.page + 1)}" rel="next" data-testid="pager-next">next →</a>` : null;
  const last = paged.page < paged.pages ? html`<a href="${link(paged.pages)}" data-testid="pager-last">last</a>` : null;
  return html`<nav class="pager" data-testid="pager-${what}">${what}: page <span data-testid="pager-page">${count(paged.page)}</span> of ${count(paged.pages)} ${previous} ${next} ${last}</nav>`;
}
