// The status page's message search (/messages): the form, and a tenant's messages as a table (metadata only, never
// a payload value) linking each to its detail view, with "older →" paging. Pure: renders what the route read.
import type { MessageSearchResult, MessageSummary } from '../queue/message-search.ts';
import { MESSAGE_SEARCH_LIMITS } from '../queue/message-filter.ts';
import { html, type SafeHtml } from './html.ts';
import { clockTime, count } from './status-catalog-page.ts';

/** The query parameters of /messages, as the form names them. */
export const SEARCH_FIELDS = ['tenant', 'status', 'table', 'since', 'until', 'idempotency_key', 'source', 'limit', 'before'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

export interface MessageSearchPage {
  /** what was asked, as typed: the form shows it again */
  form: Partial<Record<SearchField, string>>;
  /** tenant ids for the form's suggestions (at most 100) */
  tenants: string[];
  /** why the search was not run: a bad value, an unknown tenant */
  error: string | null;
  result: MessageSearchResult | null;
}

const STATES = ['queued', 'processing', 'landed', 'dead'] as const;

export function renderMessageSearch(page: MessageSearchPage): SafeHtml {
  return html`<h2>Messages</h2>
${renderForm(page)}
${page.error === null ? null : html`<p class="form-error" role="alert" data-testid="search-error">${page.error}</p>`}
${page.result === null ? (page.error === null ? html`<p class="muted" data-testid="search-hint">Choose a tenant to search its messages (newest first; metadata only, the payload is on each message's page, behind the admin token).</p>` : null) : renderResults(page, page.result)}`;
}

function renderForm(page: MessageSearchPage): SafeHtml {
  const value = (field: SearchField) => page.form[field] ?? '';
  const input = (field: SearchField, label: string, placeholder: string, wide = false) =>
    html`<label>${label}<input name="${field}" data-testid="search-${field}" value="${value(field)}" placeholder="${placeholder}"${wide ? html` class="wide"` : null}></label>`;
  const status = value('status');
  return html`<form class="search" method="get" action="/messages" data-testid="search-form">
<label>tenant<input name="tenant" data-testid="search-tenant" value="${value('tenant')}" list="tenant-ids" required placeholder="tenant id"></label>
<datalist id="tenant-ids">${page.tenants.map((id) => html`<option value="${id}">`)}</datalist>
<label>state<select name="status" data-testid="search-status"><option value="">any</option>${STATES.map((state) => html`<option value="${state}"${status === state ? html` selected` : null}>${state}</option>`)}</select></label>
${input('table', 'table', 'orders')}
${input('since', 'since', '2h, 1d, 2026-06-12T10:00:00Z')}
${input('until', 'until (exclusive)', '30m, 2026-06-12')}
${input('idempotency_key', 'idempotency key / delivery id', 'order-42, evt_…', true)}
${input('source', 'source', 'connection, source id, stripe')}
${input('limit', `limit (≤ ${MESSAGE_SEARCH_LIMITS.pageMaxLimit})`, String(MESSAGE_SEARCH_LIMITS.defaultLimit))}
<button type="submit" data-testid="search-submit">Search</button></form>`;
}

function renderResults(page: MessageSearchPage, result: MessageSearchResult): SafeHtml {
  const tenant = page.form.tenant ?? '';
  if (result.messages.length === 0)
    return html`<p class="muted" data-testid="search-empty">No message of ${tenant} matches${page.form.before ? ' before that one' : ''}.</p>`;
  const last = result.messages.at(-1)!;
  const older = result.more ? html`<a href="${searchHref(page.form, last.message_id)}" data-testid="search-older">older →</a>` : null;
  const newest = page.form.before ? html` <a href="${searchHref(page.form, null)}" data-testid="search-newest">newest</a>` : null;
  return html`<h3 data-testid="search-count">${count(result.messages.length)} message${result.messages.length === 1 ? '' : 's'} of ${tenant}${result.more ? ', more are older' : ''} <span class="muted">newest first</span></h3>
<table data-testid="messages"><thead><tr><th>Received</th><th>Message</th><th>State</th><th>Endpoint</th><th>Tables <span class="muted">(accepted → landed rows)</span></th><th class="num">Attempts</th><th>Idempotency key</th><th>Sent by</th><th>Last error <span class="muted">(values redacted)</span></th></tr></thead>
<tbody>${result.messages.map(renderRow)}</tbody></table>
<nav class="pager" data-testid="search-pager">${older}${newest}</nav>`;
}

function renderRow(m: MessageSummary): SafeHtml {
  return html`<tr data-testid="message-row-${m.message_id}"><td class="nowrap">${clockTime(m.received_at)}</td>
<td class="nowrap"><a href="/messages/${m.message_id}" data-testid="message-link"><code>${m.message_id}</code></a></td>
<td>${stateBadge(m.state)}</td><td>${m.endpoint}</td><td data-testid="message-tables">${tablesText(m)}</td><td class="num">${m.attempts}</td>
<td><code>${m.idempotency_key ?? ''}</code></td><td>${senderText(m)}</td><td class="reason">${m.last_error ?? ''}</td></tr>`;
}

export const stateBadge = (state: string) => html`<span class="state ${state}" data-testid="message-state">${state}</span>`;

/** "orders 3 → 3" once landed, "orders 3" before. */
export function tablesText(m: MessageSummary): string {
  const landed = new Map((m.landed ?? []).map((t) => [t.table.toLowerCase(), t.rows]));
  return (
    m.accepted.map((t) => `${t.table} ${count(t.rows)}${m.landed === null ? '' : ` → ${count(landed.get(t.table.toLowerCase()) ?? 0)}`}`).join(', ') || '—'
  );
}

export function senderText(m: MessageSummary): string {
  const { kind, id, name } = m.credential;
  const who = kind === 'connection' ? `connection ${name ?? id}` : kind === 'source_key' ? `source ${name ?? id}` : `metrics key ${id.slice(0, 8)}`;
  return m.provider?.name ? `${who} (${m.provider.name})` : who;
}

/** /messages with the same filters, paged back from `before` (null: the newest). */
function searchHref(form: MessageSearchPage['form'], before: string | null): string {
  const query = new URLSearchParams();
  for (const field of SEARCH_FIELDS) {
    const value = field === 'before' ? before : form[field];
    if (value !== undefined && value !== null && value !== '') query.set(field, value);
  }
  return `/messages?${query.toString()}`;
}
