// The message pages' inline stylesheet and script (the status page's look, plus the search form and the payload
// view) and their Content-Security-Policy: only these two run, and the search form may submit to this server.
import { adminTokenScript, cspHash } from './admin-token-script.ts';
import { STATUS_PAGE_CSS } from './status-page-assets.ts';

export const MESSAGE_PAGE_CSS = `${STATUS_PAGE_CSS}
form.search { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
form.search label { display: flex; flex-direction: column; gap: 2px; font-size: 11px; color: var(--muted); }
form.search input, form.search select { font: inherit; padding: 2px 6px; border: 1px solid #9aa7b2; border-radius: 4px; min-width: 120px; }
form.search input.wide { min-width: 220px; }
form.search button { padding: 3px 14px; border-color: var(--accent); color: var(--accent); }
.form-error { margin: 10px 0; padding: 6px 10px; border-radius: 4px; background: #fde7e4; color: var(--warn); }
.state { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 11px; font-weight: 600; background: #e8eef3; }
.state.landed { background: #e3f4ec; color: #0b5139; }
.state.dead { background: #fde7e4; color: var(--warn); }
.state.queued, .state.processing { background: #fff4e5; color: #8a4b00; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 3px 16px; margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
pre.payload { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; max-height: 70vh; overflow: auto; font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
button.show-payload { border-color: var(--accent); color: var(--accent); }
`;

// Keeps the admin token exactly as the status page does (sessionStorage of this tab, sent as a Bearer header,
// never a cookie or a URL) and, on request, fetches the payload (PII hashed) and shows it as text, never as HTML.
export const MESSAGE_PAGE_SCRIPT = `
(() => {
  'use strict';
  const button = document.getElementById('show-payload');
  const out = document.getElementById('payload');
  const note = document.getElementById('payload-note');
  const hidePayload = () => {
    if (!out) return;
    out.textContent = ''; out.hidden = true; note.textContent = '';
    if (button) { button.hidden = false; button.disabled = false; }
  };
${adminTokenScript('hidePayload(); ')}
  button?.addEventListener('click', async () => {
    const token = stored();
    if (token === null) { show('Enter the admin token (top right) to see the payload.', 'error'); input?.focus(); return; }
    button.disabled = true;
    try {
      const response = await fetch('/messages/' + encodeURIComponent(button.dataset.message) + '/payload', {
        headers: { authorization: 'Bearer ' + token }, credentials: 'omit', cache: 'no-store',
      });
      const body = await response.json().catch(() => null);
      if (response.ok && body) {
        out.textContent = body.payload_text;
        out.hidden = false;
        const hashed = body.opaque
          ? 'an opaque body (not JSON Postgres could store): only its size and SHA-256 are shown'
          : body.pii_hashed_fields.length === 0 ? 'no personal data found' : 'hashed: ' + body.pii_hashed_fields.join(', ');
        note.textContent = hashed + (body.truncated ? ' · cut at ' + body.shown_bytes + ' of ' + body.bytes + ' bytes (boitata messages show prints all of it)' : '');
        button.hidden = true;
        notice.hidden = true;
        return;
      }
      if (response.status === 401) { sessionStorage.removeItem(KEY); paint(); }
      show(body?.error?.message ?? 'The payload could not be read: HTTP ' + response.status, 'error');
    } catch (error) {
      show('The payload could not be read: ' + error.message, 'error');
    }
    button.disabled = false;
  });
  paint();
})();
`;

/** As the status page's, except that the search form may submit (GET) to this server. */
export const MESSAGE_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${cspHash(MESSAGE_PAGE_CSS)}`,
  `script-src ${cspHash(MESSAGE_PAGE_SCRIPT)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
