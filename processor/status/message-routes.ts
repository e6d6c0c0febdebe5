// The message routes of the processor's HTTP endpoint: GET /messages (search form and results), GET /messages/{id}
// (a message's metadata) and GET /messages/{id}/payload (its payload, personal data hashed: admin token only).
// Every read runs in one read-only transaction under the status page's database deadline.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { assertNever } from '../../shared/assert-never.ts';
import { redactReason } from '../../shared/redact-reason.ts';
import { MESSAGE_ID, MESSAGE_SEARCH_LIMITS, parseMessageSearch } from '../queue/message-filter.ts';
import { findMessage, readMaskedPayload, searchMessages } from '../queue/message-search.ts';
import type { PiiHasher } from '../schema/pii-hasher.ts';
import { createAdminGuard } from './admin-token.ts';
import { readOnlySnapshot, STATUS_DATABASE_DEADLINE_MS, withDatabaseDeadline } from './database-deadline.ts';
import { html } from './html.ts';
import { renderMessageDetail } from './message-detail-page.ts';
import { MESSAGE_PAGE_CSP } from './message-page-assets.ts';
import { renderMessageDocument } from './message-page-frame.ts';
import { renderMessageSearch, SEARCH_FIELDS, type MessageSearchPage, type SearchField } from './message-search-page.ts';

/** The payload view shows at most this much JSON text; `boitata messages show` prints all of it. */
export const PAYLOAD_VIEW_MAX_BYTES = 1024 * 1024;

export type MessageRoute = { kind: 'search' } | { kind: 'detail'; id: string } | { kind: 'payload'; id: string };

const DETAIL_PATH = /^\/messages\/([^/]+)$/;
const PAYLOAD_PATH = /^\/messages\/([^/]+)\/payload$/;

export function matchMessageRoute(path: string): MessageRoute | null {
  if (path === '/messages') return { kind: 'search' };
  const payload = PAYLOAD_PATH.exec(path);
  if (payload !== null) return { kind: 'payload', id: decode(payload[1]!) };
  const detail = DETAIL_PATH.exec(path);
  return detail === null ? null : { kind: 'detail', id: decode(detail[1]!) };
}

export interface MessageRoutesOptions {
  pool: pg.Pool;
  adminToken?: string | undefined;
  /** the processor's PII hasher (its PII_HASH_MODE and key); without one no payload is shown */
  piiHasher?: PiiHasher | undefined;
}

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

export function createMessageRoutes(options: MessageRoutesOptions) {
  const guard = createAdminGuard(options.adminToken);
  const read = <T>(work: (client: pg.ClientBase) => Promise<T>) =>
    withDatabaseDeadline(options.pool, STATUS_DATABASE_DEADLINE_MS, (client) => readOnlySnapshot(client, STATUS_DATABASE_DEADLINE_MS, work));
  const page = (response: ServerResponse, status: number, title: string, main: ReturnType<typeof html>) => {
    response.writeHead(status, {
      ...HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': MESSAGE_PAGE_CSP,
      'x-frame-options': 'DENY',
    });
    response.end(renderMessageDocument(title, main, { adminEnabled: guard.enabled, at: new Date() }));
  };
  const unavailable = (error: unknown) =>
    `The database could not be read: ${redactReason((error as Error).message)}. A search over a long time range can take longer than ${STATUS_DATABASE_DEADLINE_MS / 1000} s: narrow it with since and until.`;

  async function search(url: URL, response: ServerResponse): Promise<void> {
    const form: MessageSearchPage['form'] = {};
    for (const name of new Set(url.searchParams.keys())) {
      if (!(SEARCH_FIELDS as readonly string[]).includes(name)) {
        return page(
          response,
          400,
          'Messages',
          renderMessageSearch({
            form,
            tenants: [],
            result: null,
            error: `unknown query parameter ${JSON.stringify(name.slice(0, 100))}: use ${SEARCH_FIELDS.join(', ')}`,
          }),
        );
      }
      if (url.searchParams.getAll(name).length > 1)
        return page(
          response,
          400,
          'Messages',
          renderMessageSearch({ form, tenants: [], result: null, error: `query parameter ${name} is given more than once` }),
        );
      form[name as SearchField] = url.searchParams.get(name)!;
    }
    const parsed = form.tenant?.trim()
      ? parseMessageSearch({ ...form, idempotencyKey: form.idempotency_key }, new Date(), MESSAGE_SEARCH_LIMITS.pageMaxLimit)
      : null;
    try {
      const { tenants, result } = await read(async (client) => ({
        tenants: (await client.query<{ id: string }>('SELECT id FROM boitata_tenants ORDER BY id LIMIT 100')).rows.map((row) => row.id),
        result: parsed?.ok === true ? await searchMessages(client, parsed.search) : null,
      }));
      if (parsed !== null && !parsed.ok)
        return page(
          response,
          400,
          'Messages',
          renderMessageSearch({
            form,
            tenants,
            result: null,
            error: `${parsed.field === 'idempotencyKey' ? 'idempotency key' : parsed.field}: ${parsed.message}`,
          }),
        );
      if (parsed !== null && result === null)
        return page(
          response,
          404,
          'Messages',
          renderMessageSearch({ form, tenants, result: null, error: `no tenant ${JSON.stringify(form.tenant!.slice(0, 100))}: pick one from the list` }),
        );
      page(response, 200, 'Messages', renderMessageSearch({ form, tenants, result, error: null }));
    } catch (error) {
      page(response, 503, 'Messages', renderMessageSearch({ form, tenants: [], result: null, error: unavailable(error) }));
    }
  }

  async function detail(id: string, response: ServerResponse): Promise<void> {
    if (!MESSAGE_ID.test(id))
      return page(
        response,
        400,
        'Message',
        html`<p class="form-error" data-testid="detail-error">${`${JSON.stringify(id.slice(0, 100))} is not a message id (a UUID)`}</p>`,
      );
    try {
      const message = await read((client) => findMessage(client, id.toLowerCase()));
      if (message === null)
        return page(
          response,
          404,
          'Message',
          html`<p class="form-error" data-testid="detail-error">${notFound(id)}</p><p><a href="/messages">message search</a></p>`,
        );
      const access = !guard.enabled ? 'disabled' : options.piiHasher === undefined ? 'no-hasher' : 'admin';
      page(response, 200, 'Message', renderMessageDetail(message, access));
    } catch (error) {
      page(response, 503, 'Message', html`<p class="form-error" data-testid="detail-error">${unavailable(error)}</p>`);
    }
  }

  // Authorization comes only from the Bearer header, which neither a link nor a cross-site form can send.
  async function payload(request: IncomingMessage, id: string, response: ServerResponse): Promise<void> {
    const verdict = guard.check(request.headers.authorization);
    switch (verdict) {
      case 'disabled':
        return sendJsonError(response, 403, 'payload_disabled', 'Payloads are not shown: this processor has no admin token (set PROCESSOR_ADMIN_TOKEN).');
      case 'missing':
        return sendJsonError(response, 401, 'unauthorized', 'Send the admin token as "Authorization: Bearer <token>".', {
          'www-authenticate': 'Bearer realm="boitata-processor"',
        });
      case 'wrong':
        return sendJsonError(response, 401, 'unauthorized', 'The admin token is not valid.', {
          'www-authenticate': 'Bearer realm="boitata-processor", error="invalid_token"',
        });
      case 'allowed':
        break;
      default:
        assertNever(verdict);
    }
    const hasher = options.piiHasher;
    if (hasher === undefined)
      return sendJsonError(response, 503, 'payload_unavailable', 'This server has no PII hasher to hide personal data with: the payload is not shown.');
    if (!MESSAGE_ID.test(id)) return sendJsonError(response, 400, 'invalid_id', `${JSON.stringify(id.slice(0, 100))} is not a message id (a UUID)`);
    try {
      const masked = await read(async (client) => {
        const message = await findMessage(client, id.toLowerCase());
        return message === null ? null : { message, ...(await readMaskedPayload(client, message, hasher)) };
      });
      if (masked === null) return sendJsonError(response, 404, 'not_found', notFound(id));
      const bytes = Buffer.byteLength(masked.text, 'utf8');
      const shown = bytes <= PAYLOAD_VIEW_MAX_BYTES ? masked.text : Buffer.from(masked.text, 'utf8').subarray(0, PAYLOAD_VIEW_MAX_BYTES).toString('utf8');
      sendJson(response, 200, {
        message_id: masked.message.message_id,
        pii_hashed_fields: masked.hashed,
        opaque: masked.opaque !== null,
        payload_text: shown,
        bytes,
        shown_bytes: Buffer.byteLength(shown, 'utf8'),
        truncated: bytes > PAYLOAD_VIEW_MAX_BYTES,
      });
    } catch (error) {
      sendJsonError(response, 503, 'database_unavailable', unavailable(error));
    }
  }

  return {
    async handle(route: MessageRoute, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
      request.resume();
      switch (route.kind) {
        case 'search':
          return search(url, response);
        case 'detail':
          return detail(route.id, response);
        case 'payload':
          return payload(request, route.id, response);
        default:
          return assertNever(route);
      }
    },
  };
}

const notFound = (id: string) =>
  `no message ${id.slice(0, 100)}: it was never received, or it landed more than QUEUE_RETENTION_HOURS ago (72 h by default) and the queue pruned it`;

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...HEADERS, ...headers, 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

function sendJsonError(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { error: { code, message } }, headers);
}
