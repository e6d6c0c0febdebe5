// The processor's admin API (/admin/…): operator actions over HTTP, behind PROCESSOR_ADMIN_TOKEN (Bearer, compared
// in constant time). Each route is data (method, path pattern, handler); a write names who asked (`requested_by`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAdminGuard } from '../status/admin-token.ts';
import { MAX_ACTOR_LENGTH } from '../governance/audit.ts';

/** What a handler is given: the path's captures, the query, and the JSON body (undefined for a GET). */
export interface AdminRequest {
  params: readonly string[];
  url: URL;
  body: unknown;
  /** the body's `requested_by` (required on every POST): who the audit trail records */
  requestedBy: string;
}

export interface AdminAnswer {
  status: number;
  body: unknown;
}

export interface AdminRoute {
  method: 'GET' | 'POST';
  /** matched against the whole path; its groups are `params` */
  path: RegExp;
  /** one line for the route list a 404 prints */
  describe: string;
  handle(request: AdminRequest): Promise<AdminAnswer>;
}

/** A request a handler refuses with a 4xx and a message that says what to fix. */
export class AdminInputError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The largest admin request body (a payload to plan is at most what the edge accepts for a signed delivery). */
export const MAX_ADMIN_BODY_BYTES = 10 * 1024 * 1024;

export function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}

export function createAdminRouter(options: { adminToken: string | undefined; routes: readonly AdminRoute[] }) {
  const guard = createAdminGuard(options.adminToken);
  const list = options.routes.map((route) => `${route.method.padEnd(5)}${route.describe}`).join('\n');

  return async function handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/admin' || url.pathname === '/admin/') {
      request.resume();
      // The route list is no secret (it is in the README); it says what a token would allow.
      return sendJson(response, 200, { routes: options.routes.map((r) => `${r.method} ${r.describe}`), admin_enabled: guard.enabled });
    }
    const matching = options.routes.filter((route) => route.path.test(url.pathname));
    if (matching.length === 0) {
      request.resume();
      return sendJson(response, 404, { error: 'not_found', message: `No admin route ${url.pathname}. Routes:\n${list}` });
    }
    const route = matching.find((r) => r.method === request.method);
    if (route === undefined) {
      request.resume();
      response.setHeader('allow', matching.map((r) => r.method).join(', '));
      return sendJson(response, 405, { error: 'method_not_allowed', message: `${url.pathname} answers ${matching.map((r) => r.method).join(', ')}` });
    }
    switch (guard.check(request.headers.authorization)) {
      case 'disabled':
        request.resume();
        return sendJson(response, 403, {
          error: 'admin_disabled',
          message: 'The admin API is disabled: this processor has no admin token (set PROCESSOR_ADMIN_TOKEN).',
        });
      case 'missing':
        request.resume();
        response.setHeader('www-authenticate', 'Bearer realm="boitata-processor"');
        return sendJson(response, 401, { error: 'unauthorized', message: 'Send the admin token as "Authorization: Bearer <token>".' });
      case 'wrong':
        request.resume();
        response.setHeader('www-authenticate', 'Bearer realm="boitata-processor", error="invalid_token"');
        return sendJson(response, 401, { error: 'unauthorized', message: 'The admin token is not valid.' });
      case 'allowed':
        break;
    }
    try {
      let body: unknown;
      let requestedBy = '';
      if (route.method === 'POST') {
        body = await readJsonBody(request);
        requestedBy = requestedByOf(body);
      } else request.resume();
      const params = (route.path.exec(url.pathname) ?? []).slice(1).map((p) => decodePathPart(p ?? ''));
      const answer = await route.handle({ params, url, body, requestedBy });
      sendJson(response, answer.status, answer.body);
    } catch (error) {
      if (error instanceof AdminInputError) return sendJson(response, error.status, { error: error.code, message: error.message });
      throw error;
    }
  };
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new AdminInputError(400, 'invalid_path', 'The path holds a malformed percent-encoding.');
  }
}

function requestedByOf(body: unknown): string {
  const value = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)['requested_by'] : undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AdminInputError(400, 'requested_by_required', 'The body needs "requested_by": who asks (a ticket or a person); the audit trail records it.');
  }
  if (value.length > MAX_ACTOR_LENGTH) throw new AdminInputError(400, 'requested_by_too_long', `"requested_by" is at most ${MAX_ACTOR_LENGTH} characters.`);
  return value.trim();
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    request.resume();
    throw new AdminInputError(415, 'unsupported_media_type', 'Send a JSON body with "content-type: application/json".');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_ADMIN_BODY_BYTES) {
      request.resume();
      throw new AdminInputError(413, 'body_too_large', `The body is larger than ${MAX_ADMIN_BODY_BYTES} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    // Not the parser's message: it quotes the body, which may hold the very personal data an erasure names.
    throw new AdminInputError(400, 'invalid_json', 'The body is not valid JSON.');
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  response.end(JSON.stringify(body));
}
