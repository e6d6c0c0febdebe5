// The operator endpoint: /health (is the loop alive and the queue reachable), /metrics (Prometheus), the status
// page (/ and /status, the same data at /status.json), message search (/messages) and replaying a dead letter (POST,
// admin token only).
import { createServer, type Server, type ServerResponse } from 'node:http';
import type pg from 'pg';
import type { ProcessorMetrics } from './metrics.ts';
import { HEALTH_DATABASE_DEADLINE_MS, withDatabaseDeadline } from './status/database-deadline.ts';
import { createStatusRoutes } from './status/status-routes.ts';
import { createMessageRoutes, matchMessageRoute } from './status/message-routes.ts';
import type { PiiHasher } from './schema/pii-hasher.ts';
import { redactReason } from '../shared/redact-reason.ts';
import { createAdminRouter, isAdminPath, type AdminRoute } from './admin/admin-router.ts';

export interface HealthSource {
  /** ms since the loop last completed an iteration (claimed, even if nothing was there) */
  sinceLastIteration(): number;
  lastError(): string | null;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  pool: pg.Pool;
  metrics: ProcessorMetrics;
  health: HealthSource;
  staleAfterMs: number;
  /** PROCESSOR_ADMIN_TOKEN: allows replaying dead letters with `Authorization: Bearer <token>`; undefined: read-only */
  adminToken?: string | undefined;
  /** the processor's PII hasher: the message pages show a payload (admin token only) with personal data hashed by it */
  piiHasher?: PiiHasher | undefined;
  /** the admin API's routes (/admin/…, admin token only); none: every /admin path answers 404 */
  adminRoutes?: readonly AdminRoute[];
}

const ROUTES = [
  'GET  /                               the status page (also /status; ?tenant=T, ?tenant=T&table=X, &page=N)',
  "GET  /status.json                    the status page's data (the same query)",
  'GET  /health                         liveness: the loop and the database',
  'GET  /metrics                        Prometheus',
  'POST /dead-letters/{id}/replay       replay a dead letter (Authorization: Bearer <admin token>)',
  'GET  /messages                       message search (?tenant=T&status=&table=&since=&until=&idempotency_key=&source=)',
  'GET  /messages/{id}                  a message: metadata, dead letters (its payload: /messages/{id}/payload, admin token)',
  '*    /admin/…                         the admin API (Authorization: Bearer <admin token>; GET /admin lists its routes)',
].join('\n');

const REPLAY_PATH = /^\/dead-letters\/([^/]+)\/replay$/;

export function startHttpServer(options: HttpServerOptions): Promise<Server> {
  const status = createStatusRoutes(options);
  const messages = createMessageRoutes(options);
  const admin = createAdminRouter({ adminToken: options.adminToken, routes: options.adminRoutes ?? [] });
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const done = (error: unknown) => {
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.destroy(error as Error);
    };
    if (isAdminPath(path)) return void admin(request, response, url).catch(done);
    const replay = REPLAY_PATH.exec(path);
    const message = matchMessageRoute(path);
    const allowed = replay !== null ? 'POST' : message !== null || ['/', '/status', '/status.json', '/health', '/metrics'].includes(path) ? 'GET' : null;
    if (allowed === null) return send(response, 404, 'text/plain', `not found: ${path}\nroutes:\n${ROUTES}\n`);
    if (request.method !== allowed) {
      request.resume();
      response.setHeader('allow', allowed);
      return send(response, 405, 'text/plain', `method not allowed: ${path} answers ${allowed}\n`);
    }
    if (replay !== null) return void status.replay(request, response, replay[1]!).catch(done);
    if (message !== null) return void messages.handle(message, url, request, response).catch(done);
    if (path === '/status.json') return void status.json(url, response).catch(done);
    if (path === '/' || path === '/status') return void status.page(url, response).catch(done);
    if (path === '/health') return void health(options, response).catch(done);
    options.metrics.registry.metrics().then(
      (text) => send(response, 200, options.metrics.registry.contentType, text),
      (error: Error) => send(response, 503, 'text/plain', `metrics unavailable: ${error.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

// Postgres half-open (stopped, its socket still open) never answers: the check has a deadline, so /health
// answers 503 with the reason before a probe gives up on it.
async function health(options: HttpServerOptions, response: ServerResponse): Promise<void> {
  let database = 'ok';
  try {
    await withDatabaseDeadline(options.pool, HEALTH_DATABASE_DEADLINE_MS, (client) => client.query('SELECT 1'));
  } catch (error) {
    database = `unreachable: ${(error as Error).message}`;
  }
  const since = options.health.sinceLastIteration();
  const healthy = database === 'ok' && since <= options.staleAfterMs;
  send(
    response,
    healthy ? 200 : 503,
    'application/json',
    JSON.stringify({
      status: healthy ? 'ok' : 'unhealthy',
      database,
      last_iteration_ms_ago: since,
      last_error: redactLastError(options.health.lastError()),
    }),
  );
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'x-content-type-options': 'nosniff' });
  response.end(body);
}

/** A warehouse's error text can quote the value it refused: shown only with literals redacted, as on the status page. */
function redactLastError(error: string | null): string | null {
  return error === null ? null : redactReason(error);
}
