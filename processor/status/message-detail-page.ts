// One message on the status page (/messages/{id}): its metadata and dead letters for every reader; its payload
// (personal data hashed) only through the admin token, fetched by the page's script, never in this HTML. Pure.
import type { MessageDetail } from '../queue/message-search.ts';
import { html, type SafeHtml } from './html.ts';
import { senderText, stateBadge, tablesText } from './message-search-page.ts';
import { clockTime, count } from './status-catalog-page.ts';

export type PayloadAccess = 'admin' | 'disabled' | 'no-hasher';

export function renderMessageDetail(message: MessageDetail, payload: PayloadAccess): SafeHtml {
  const m = message;
  const back = `/messages?${new URLSearchParams({ tenant: m.tenant_id }).toString()}`;
  const row = (label: string, value: SafeHtml | string | number | null, testId: string) =>
    value === null || value === '' ? null : html`<dt>${label}</dt><dd data-testid="meta-${testId}">${value}</dd>`;
  return html`<p class="crumbs"><a href="${back}" data-testid="back-to-search">← messages of ${m.tenant_id}</a></p>
<h2>Message <code data-testid="detail-message-id">${m.message_id}</code> ${stateBadge(m.state)}</h2>
<dl class="meta" data-testid="message-meta">
${row('tenant', m.tenant_id, 'tenant')}
${row('received', clockTime(m.received_at), 'received')}
${row('landed', m.landed_at === null ? null : clockTime(m.landed_at), 'landed-at')}
${row('next attempt', m.state === 'queued' && m.available_at > m.received_at ? clockTime(m.available_at) : null, 'next-attempt')}
${row('endpoint', `${m.endpoint} (${m.payload_format})${m.target_table === null ? '' : ` → ${m.target_table}`}${m.item_key === null ? '' : `, item key field ${m.item_key}`}`, 'endpoint')}
${row('tables', tablesText(m), 'tables')}
${row('rows', count(m.rows), 'rows')}
${row('sent by', senderText(m), 'sender')}
${row('provider delivery', m.provider === null ? null : [m.provider.event_type, m.provider.delivery_id].filter((part) => part !== null).join(' · '), 'provider')}
${row('idempotency key', m.idempotency_key, 'idempotency-key')}
${row('attempts', `${m.attempts} (${m.failures} counted as failures)`, 'attempts')}
${row('payload bytes', m.payload_bytes === null ? null : count(m.payload_bytes), 'payload-bytes')}
${row('last error', m.last_error, 'last-error')}
${row('re-drives', `${m.redrives}${m.redrive_pending ? ' (one pending)' : ''}`, 'redrives')}
</dl>
${renderDeadLetters(m)}
${renderPayload(m.message_id, payload)}`;
}

function renderDeadLetters(m: MessageDetail): SafeHtml {
  if (m.dead_letters.length === 0) return html`<h3>Dead letters</h3><p class="muted" data-testid="message-dead-letters-none">None.</p>`;
  return html`<h3>Dead letters</h3>
<table data-testid="message-dead-letters"><thead><tr><th class="num">ID</th><th>Code</th><th>Reason <span class="muted">(values redacted)</span></th><th class="num">Attempts</th><th>Dead since</th><th>Replayed</th></tr></thead>
<tbody>${m.dead_letters.map(
    (d) =>
      html`<tr><td class="num">${d.id}</td><td><code>${d.error_code}</code></td><td class="reason" data-testid="message-dead-letter-reason">${d.reason}</td><td class="num">${d.attempts}</td><td class="nowrap">${clockTime(d.dead_at)}</td><td class="nowrap">${d.replayed_at === null ? '—' : clockTime(d.replayed_at)}</td></tr>`,
  )}</tbody></table>`;
}

function renderPayload(messageId: string, access: PayloadAccess): SafeHtml {
  switch (access) {
    case 'disabled':
      return html`<h3>Payload</h3><p class="muted" data-testid="payload-disabled">Not shown: this processor has no admin token (PROCESSOR_ADMIN_TOKEN), and the page shows payloads only to its holders. <code>boitata messages show ${messageId}</code> prints it with personal data hashed.</p>`;
    case 'no-hasher':
      return html`<h3>Payload</h3><p class="muted" data-testid="payload-disabled">Not shown: this server has no PII hasher to hide personal data with. <code>boitata messages show ${messageId}</code> prints it with personal data hashed.</p>`;
    case 'admin':
      return html`<h3>Payload <span class="muted">personal data replaced by the hashes the processor writes</span></h3>
<p><button type="button" class="show-payload" id="show-payload" data-message="${messageId}" data-testid="show-payload">Show payload (admin token)</button> <span class="muted" id="payload-note" data-testid="payload-note"></span></p>
<pre class="payload" id="payload" data-testid="payload" hidden></pre>`;
  }
}
