// The operator endpoint: GET /health (is the loop alive and the queue reachable) and GET /metrics (Prometheus).
import { createServer, type Server } from 'node:http';
import type pg from 'pg';
import type { ProcessorMetrics } from './metrics.ts';

export interface HealthSource {
  /** ms since the loop last completed an iteration (claimed, even if nothing was there) */
  sinceLastIteration(): number;
  lastError(): string | null;
}

export function startHttpServer(options: { host: string; port: number; pool: pg.Pool; metrics: ProcessorMetrics; health: HealthSource; staleAfterMs: number }): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET') return send(response, 405, 'text/plain', 'method not allowed\n');
    if (path === '/health') {
      void (async () => {
        let database = 'ok';
        try {
          await options.pool.query('SELECT 1');
        } catch (error) {
          database = `unreachable: ${(error as Error).message}`;
        }
        const since = options.health.sinceLastIteration();
        const healthy = database === 'ok' && since <= options.staleAfterMs;
        send(response, healthy ? 200 : 503, 'application/json', JSON.stringify({
          status: healthy ? 'ok' : 'unhealthy', database, last_iteration_ms_ago: since, last_error: options.health.lastError(),
        }));
      })();
      return;
    }
    if (path === '/metrics') {
      options.metrics.registry.metrics().then(
        (text) => send(response, 200, options.metrics.registry.contentType, text),
        (error: Error) => send(response, 503, 'text/plain', `metrics unavailable: ${error.message}\n`),
      );
      return;
    }
    send(response, 404, 'text/plain', 'not found: try /health or /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

function send(response: import('node:http').ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type });
  response.end(body);
}
