// The status routes: the page, its JSON, and replaying a dead letter (the one write, admin token only, audited).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { BoitataError } from '../../shared/errors.ts';
import type { ProcessorMetrics } from '../metrics.ts';
import { assertNever } from '../../shared/assert-never.ts';
import { MAX_ACTOR_LENGTH, recordAudit } from '../governance/audit.ts';
import { replayDeadLetters } from '../queue/dead-letters.ts';
import { createAdminGuard } from './admin-token.ts';
import { redactReason } from '../../shared/redact-reason.ts';
import { loadStatusSnapshot } from './status-data.ts';
import { parseStatusView, type StatusView } from './status-view.ts';
import { STATUS_PAGE_CSP } from './status-page-assets.ts';
import { renderStatusPage, renderStatusUnavailable } from './status-page.ts';

export interface StatusRoutesOptions {
  pool: pg.Pool;
  metrics: ProcessorMetrics;
  /** enables POST /dead-letters/:id/replay for requests that send it as a Bearer token; undefined: read-only */
  adminToken?: string | undefined;
}

const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

export function createStatusRoutes(options: StatusRoutesOptions) {
  const guard = createAdminGuard(options.adminToken);
  const snapshot = (view: StatusView) => loadStatusSnapshot(options.pool, options.metrics, view, { replayEnabled: guard.enabled });

  return {
    async page(url: URL, response: ServerResponse): Promise<void> {
      const parsed = parseStatusView(url.searchParams);
      let body: string;
      let status = 200;
      try {
        if (!parsed.ok) throw new BoitataError('invalid_payload', parsed.message);
        body = renderStatusPage(await snapshot(parsed.view));
      } catch (error) {
        const failure = describeFailure(error, parsed.ok);
        status = failure.status;
        body = renderStatusUnavailable(failure.message, new Date(), failure.status === 503 ? 'Status unavailable' : 'Not shown');
      }
      response.writeHead(status, {
        ...COMMON_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': STATUS_PAGE_CSP,
        'x-frame-options': 'DENY',
      });
      response.end(body);
    },

    async json(url: URL, response: ServerResponse): Promise<void> {
      const parsed = parseStatusView(url.searchParams);
      try {
        if (!parsed.ok) throw new BoitataError('invalid_payload', parsed.message);
        sendJson(response, 200, await snapshot(parsed.view));
      } catch (error) {
        const failure = describeFailure(error, parsed.ok);
        sendError(response, failure.status, failure.code, failure.message);
      }
    },

    // Authorization comes only from the Bearer header, which a cross-site form cannot send: no CSRF token needed.
    async replay(request: IncomingMessage, response: ServerResponse, id: string): Promise<void> {
      const verdict = guard.check(request.headers.authorization);
      if (verdict !== 'allowed') request.resume();
      switch (verdict) {
        case 'disabled':
          return sendError(
            response,
            403,
            'replay_disabled',
            'Replaying dead letters is disabled: this processor has no admin token (set PROCESSOR_ADMIN_TOKEN). The status page is read-only.',
          );
        case 'missing':
          return sendError(response, 401, 'unauthorized', 'Send the admin token as "Authorization: Bearer <token>".', {
            'www-authenticate': 'Bearer realm="boitata-processor"',
          });
        case 'wrong':
          return sendError(response, 401, 'unauthorized', 'The admin token is not valid.', {
            'www-authenticate': 'Bearer realm="boitata-processor", error="invalid_token"',
          });
        case 'allowed':
          break;
        default:
          assertNever(verdict);
      }
      const asked = await requestedBy(request);
      if (!asked.ok) return sendError(response, 400, 'invalid_requested_by', asked.message);
      if (!/^[1-9]\d{0,17}$/.test(id))
        return sendError(response, 400, 'invalid_id', `dead letter id ${JSON.stringify(id)}: use the numeric id the status page shows`);
      try {
        const { rows } = await options.pool.query<{ tenant_id: string }>('SELECT tenant_id FROM boitata_dead_letters WHERE id = $1 AND replayed_at IS NULL', [
          id,
        ]);
        const replayed = await replayDeadLetters(options.pool, { ids: [id] });
        if (replayed === 0) return sendError(response, 404, 'not_found', `no open dead letter ${id}: it does not exist or was replayed already`);
        // The replay stands even if its audit entry cannot be written; the answer says so.
        const audited = await recordAudit(options.pool, {
          actor: asked.actor,
          via: 'admin_api',
          action: 'dead_letter.replay',
          tenantId: rows[0]?.tenant_id ?? null,
          details: { dead_letter_ids: [id] },
        }).then(
          () => true,
          () => false,
        );
        sendJson(response, 200, { replayed, id, status: 'pending', ...(audited ? {} : { audit: 'not recorded: the audit trail could not be written' }) });
      } catch (error) {
        sendError(response, 503, 'database_unavailable', `The replay failed: ${redactReason((error as Error).message)}`);
      }
    },
  };
}

const MAX_REPLAY_BODY_BYTES = 4096;
/** The actor of a replay that names nobody: whoever holds the admin token. */
export const ADMIN_TOKEN_ACTOR = 'status page (admin token)';

/** Who asks for the replay, for the audit trail: `requested_by` in a JSON body or the query string, else the token holder. */
async function requestedBy(request: IncomingMessage): Promise<{ ok: true; actor: string } | { ok: false; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_REPLAY_BODY_BYTES) {
      request.resume();
      return { ok: false, message: `the body is over ${MAX_REPLAY_BODY_BYTES} bytes: send {"requested_by": "who"}, or no body` };
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  let given: unknown = new URL(request.url ?? '/', 'http://status').searchParams.get('requested_by') ?? undefined;
  if (text !== '') {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, message: 'the body must be JSON, {"requested_by": "who"}, or empty' };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { ok: false, message: 'the body must be a JSON object, {"requested_by": "who"}' };
    given = (body as Record<string, unknown>)['requested_by'] ?? given;
  }
  if (given === undefined) return { ok: true, actor: ADMIN_TOKEN_ACTOR };
  if (typeof given !== 'string' || given.trim() === '' || given.length > MAX_ACTOR_LENGTH) {
    return { ok: false, message: `requested_by must be a text of 1 to ${MAX_ACTOR_LENGTH} characters (who asks for the replay)` };
  }
  return { ok: true, actor: given.trim() };
}

/** A bad query string is 400, an unknown tenant or table 404, anything else the database failing: 503. */
function describeFailure(error: unknown, parsed: boolean): { status: number; code: string; message: string } {
  if (error instanceof BoitataError && error.code === 'invalid_payload' && !parsed) return { status: 400, code: 'invalid_query', message: error.message };
  if (error instanceof BoitataError && error.code === 'not_found') return { status: 404, code: 'not_found', message: error.message };
  return { status: 503, code: 'database_unavailable', message: `The database could not be read: ${redactReason((error as Error).message)}` };
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...COMMON_HEADERS, ...headers, 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/** The error body the edge uses too: `{ "error": { "code", "message" } }`. */
export function sendError(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { error: { code, message } }, headers);
}
