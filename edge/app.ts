// createApp(deps): the Hono application with every route and the one error handler; no I/O of its own.
import { Hono } from 'hono';
import { BoitataError } from '../shared/errors.ts';
import { DATABASE_RETRY_AFTER_SECONDS } from './gate/gate-protocol.ts';
import type { IngestDeps } from './ingest/ingest-flow.ts';
import { registerEventsRoute } from './routes/events-route.ts';
import { registerMessageStatusRoute } from './routes/message-status-route.ts';
import { registerMetricsRoute } from './routes/metrics-route.ts';
import { registerOpenApiRoute } from './routes/openapi-route.ts';
import { registerPushRoute } from './routes/push-route.ts';
import { registerWebhookRoute } from './routes/webhook-route.ts';

const INGEST_PATHS = ['/v1/ingest/push/:ingestToken', '/api/webhook/:stream', '/v1/ingest/metrics', '/v1/events/ingest'];

// A 404 never repeats the path it was asked for: a mistyped push URL (`/V1/INGEST/PUSH/<token>`, `/v1//ingest/…`)
// still carries a token, and an answer is logged and cached in places the operator does not control.
const NOT_FOUND_MESSAGE =
  'No endpoint at this path for this method. The endpoints are POST /v1/ingest/push/{ingestToken}, ' +
  'POST /api/webhook/{stream}, POST /v1/ingest/metrics, POST /v1/events/ingest, GET /v1/ingest/messages/{message_id} ' +
  'and GET /health (paths are case-sensitive).';

export function createApp(deps: IngestDeps): Hono {
  const app = new Hono();

  app.get('/health', (c) => c.json({ status: 'ok' }));
  registerOpenApiRoute(app);
  registerPushRoute(app, deps);
  registerWebhookRoute(app, deps);
  registerMetricsRoute(app, deps);
  registerEventsRoute(app, deps);
  registerMessageStatusRoute(app, deps);
  for (const path of INGEST_PATHS) {
    app.all(path, () => {
      throw new BoitataError('method_not_allowed', 'Use POST on this endpoint.', { headers: { Allow: 'POST' } });
    });
  }

  app.notFound((c) => c.json(new BoitataError('not_found', NOT_FOUND_MESSAGE).toBody(), 404));
  app.onError((error, c) => {
    const known = error instanceof BoitataError ? error : undefined;
    if (known === undefined || !known.isUserError) {
      // Only unexpected failures are logged, and never with a secret: the route's pattern stands for the path
      // (which may hold a token), headers are not logged.
      const cause = known?.cause ?? error;
      console.error(
        JSON.stringify({
          level: 'error',
          msg: 'request failed',
          code: known?.code ?? 'internal_error',
          method: c.req.method,
          route: c.req.routePath,
          error: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
        }),
      );
    }
    const failure = known ?? new BoitataError('internal_error', 'An unexpected error occurred; retry with the same Idempotency-Key.');
    const headers: Record<string, string> = { ...failure.headers };
    if (failure.code === 'database_unavailable') headers['Retry-After'] ??= String(DATABASE_RETRY_AFTER_SECONDS);
    return c.json(failure.toBody(), failure.status as 400, headers);
  });

  return app;
}
