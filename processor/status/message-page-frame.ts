// The frame of the message pages (/messages, /messages/{id}): the status page's header with the admin token field,
// a notice line, the page's main part and the links back. Self-contained HTML, every text escaped.
import { html, type SafeHtml } from './html.ts';
import { MESSAGE_PAGE_CSS, MESSAGE_PAGE_SCRIPT } from './message-page-assets.ts';
import { clockTime } from './status-catalog-page.ts';

export function renderMessageDocument(title: string, main: SafeHtml, options: { adminEnabled: boolean; at: Date }): string {
  const at = options.at.toISOString();
  const admin = options.adminEnabled
    ? html`<form id="admin-form" data-testid="admin-form" autocomplete="off">
<input id="admin-token" data-testid="admin-token" type="password" placeholder="admin token" aria-label="Admin token" autocomplete="off">
<button type="submit" data-testid="admin-token-use">Use token</button><button type="button" id="admin-forget" data-testid="admin-forget" hidden>Forget</button>
<span class="meta" id="admin-state" data-testid="admin-state"></span></form>`
    : html`<span class="meta" data-testid="read-only">read-only: no admin token configured (PROCESSOR_ADMIN_TOKEN)</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html`${title}`} · Boitatá processor</title><link rel="icon" href="data:,">
<style>${MESSAGE_PAGE_CSS}</style></head>
<body>
${html`<header><h1>Boitatá processor · ${title}</h1>
<span class="meta">as of <time data-testid="generated-at" datetime="${at}">${clockTime(at)}</time></span>
${admin}</header>
<div id="notice" role="status" data-testid="notice" hidden></div>
<main>${main}</main>
<footer><a href="/status">status</a> · <a href="/messages">message search</a> · Prometheus: <a href="/metrics">/metrics</a> · liveness: <a href="/health">/health</a></footer>`}
<script>${MESSAGE_PAGE_SCRIPT}</script>
</body></html>
`;
}
