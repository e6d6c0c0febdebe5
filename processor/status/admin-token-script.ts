// The admin token in the browser, as the status page and the message pages both keep it: in this tab's
// sessionStorage only (never a cookie or a URL), entered in the header's form, sent as a Bearer header by the
// page's own requests. Inline scripts run under a CSP that allows exactly their hash (scriptHash).
import { createHash } from 'node:crypto';

/**
 * The statements that declare `KEY`, `form`, `input`, `state`, `forget`, `notice`, `stored()`, `show(text, kind)`
 * and `paint()` and wire the token form; `onForget` is JavaScript run when the token is forgotten.
 */
export function adminTokenScript(onForget = ''): string {
  return `  const KEY = 'boitata-admin-token';
  const form = document.getElementById('admin-form');
  const input = document.getElementById('admin-token');
  const state = document.getElementById('admin-state');
  const forget = document.getElementById('admin-forget');
  const notice = document.getElementById('notice');
  const stored = () => { try { return sessionStorage.getItem(KEY); } catch { return null; } };
  const show = (text, kind) => { notice.textContent = text; notice.className = kind; notice.hidden = false; };
  const paint = () => {
    const has = stored() !== null;
    document.body.classList.toggle('admin', has);
    if (!form) return;
    state.textContent = has ? 'token set for this tab' : 'read-only until you enter the admin token';
    forget.hidden = !has;
  };
  form?.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (value !== '') sessionStorage.setItem(KEY, value);
    input.value = '';
    input.blur();
    paint();
  });
  forget?.addEventListener('click', () => { sessionStorage.removeItem(KEY); ${onForget}paint(); });`;
}

/** A CSP source allowing exactly this inline script or stylesheet. */
export const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
