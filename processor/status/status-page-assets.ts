// The status page's inline stylesheet and script, and the Content-Security-Policy that allows exactly these two.
import { adminTokenScript, cspHash } from './admin-token-script.ts';

export const REFRESH_SECONDS = 10;

export const STATUS_PAGE_CSS = `
:root { color-scheme: light; --fg: #1d2329; --muted: #5f6b76; --line: #dde3e8; --bg: #f5f7f9; --card: #fff; --accent: #0b6e4f; --warn: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 18px; padding: 10px 20px; background: #12343b; color: #fff; }
header h1 { font-size: 15px; margin: 0; font-weight: 600; }
header .meta { color: #b9d3d8; font-size: 12px; }
header form { margin-left: auto; display: flex; gap: 6px; align-items: center; }
header input { font: inherit; padding: 2px 6px; width: 180px; border: 1px solid #5d7f86; border-radius: 4px; }
main { padding: 14px 20px 28px; max-width: 1320px; }
h2 { font-size: 14px; margin: 22px 0 8px; }
h2 .muted, h3 .muted { font-weight: 400; font-size: 12px; }
h3 { font-size: 13px; margin: 16px 0 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.card .label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .note { color: var(--muted); font-size: 11px; }
.card.alert .value { color: var(--warn); }
.row { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; margin-top: 12px; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.panel p { margin: 4px 0 0; color: var(--muted); font-size: 11px; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef2f5; font-weight: 600; font-size: 12px; color: #33414d; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.counters { display: grid; grid-template-columns: auto auto; gap: 2px 14px; margin: 0; }
dl.counters dt { color: var(--muted); }
dl.counters dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 11px; font-weight: 600; background: #e8eef3; color: #33414d; margin-right: 3px; }
.badge.pii { background: #fde7e4; color: var(--warn); }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
.reason { max-width: 520px; overflow-wrap: anywhere; }
details.table { margin: 8px 0 12px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
details.table > summary { cursor: pointer; padding: 6px 10px; font-weight: 600; }
details.table table { border-left: 0; border-right: 0; border-bottom: 0; }
details.table h4 { margin: 8px 10px 4px; font-size: 12px; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg.chart .plot { fill: #fbfcfd; }
svg.chart .grid { stroke: #e6ebef; }
svg.chart .baseline { stroke: #9aa7b2; }
svg.chart .bar { fill: #1f8a70; }
svg.chart .bar:hover { fill: #0b6e4f; }
svg.chart .axis { fill: #5f6b76; font-size: 10px; }
svg.chart .empty { fill: #5f6b76; font-size: 12px; }
button { font: inherit; padding: 1px 10px; border-radius: 4px; border: 1px solid #9aa7b2; background: #fff; color: var(--fg); cursor: pointer; }
button.replay { border-color: var(--accent); color: var(--accent); }
body:not(.admin) button.replay { opacity: .55; }
button:disabled { opacity: .4; cursor: default; }
#notice { margin: 10px 20px 0; padding: 6px 10px; border-radius: 4px; }
#notice.ok { background: #e3f4ec; color: #0b5139; }
#notice.error { background: #fde7e4; color: var(--warn); }
footer { padding: 0 20px 20px; color: var(--muted); font-size: 12px; }
.warnings { margin-top: 14px; background: #fff4e5; border: 1px solid #f5c27a; border-radius: 6px; padding: 4px 12px; }
.warnings h2 { margin: 6px 0 4px; color: #8a4b00; }
.warnings ul { margin: 0 0 6px; padding-left: 18px; }
p.warning { margin: 6px 10px; padding: 4px 8px; background: #fff4e5; color: #8a4b00; border-radius: 4px; }
caption { caption-side: top; text-align: left; padding: 4px 8px; font-size: 11px; }
nav.pager, p.more, p.crumbs { margin: 6px 0; font-size: 12px; }
nav.pager a { margin-left: 8px; }
`;

// Refreshes <main> in place from the server every few seconds (not while the token field has focus), keeps the
// admin token in sessionStorage only (never a cookie or a URL) and sends it as a Bearer header to replay.
export const STATUS_PAGE_SCRIPT = `
(() => {
  'use strict';
${adminTokenScript()}
  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-replay]') : null;
    if (!button) return;
    const id = button.getAttribute('data-replay');
    const token = stored();
    if (token === null) { show('Enter the admin token (top right) to replay dead letters.', 'error'); input?.focus(); return; }
    button.disabled = true;
    try {
      const response = await fetch('/dead-letters/' + encodeURIComponent(id) + '/replay', {
        method: 'POST', headers: { authorization: 'Bearer ' + token }, credentials: 'omit', cache: 'no-store',
      });
      const body = await response.json().catch(() => null);
      if (response.ok) {
        button.closest('tr')?.remove();
        show('Dead letter ' + id + ' replayed: its message is pending again.', 'ok');
        await refresh(true);
        return;
      }
      if (response.status === 401) { sessionStorage.removeItem(KEY); paint(); }
      show(body?.error?.message ?? 'Replay failed: HTTP ' + response.status, 'error');
    } catch (error) {
      show('Replay failed: ' + error.message, 'error');
    }
    button.disabled = false;
  });
  let refreshing = false;
  async function refresh(force) {
    if (refreshing || (!force && (document.hidden || (input && document.activeElement === input)))) return;
    refreshing = true;
    const status = document.getElementById('refresh-state');
    try {
      const response = await fetch(location.pathname + location.search, { cache: 'no-store', credentials: 'omit' });
      const next = new DOMParser().parseFromString(await response.text(), 'text/html');
      const main = next.querySelector('main');
      if (!main) throw new Error('HTTP ' + response.status);
      const closed = new Set([...document.querySelectorAll('details[data-key]:not([open])')].map((d) => d.dataset.key));
      for (const d of main.querySelectorAll('details[data-key]')) if (closed.has(d.dataset.key)) d.open = false;
      document.querySelector('main').replaceWith(main);
      document.getElementById('generated').textContent = next.getElementById('generated')?.textContent ?? '';
      status.textContent = 'refreshes every ${REFRESH_SECONDS} s';
    } catch (error) {
      status.textContent = 'refresh failed (' + error.message + '); retrying';
    } finally {
      refreshing = false;
    }
  }
  paint();
  setInterval(refresh, ${REFRESH_SECONDS * 1000});
})();
`;

/** Only our own inline style and script run; the page talks only to this server and cannot be framed. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${cspHash(STATUS_PAGE_CSS)}`,
  `script-src ${cspHash(STATUS_PAGE_SCRIPT)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
