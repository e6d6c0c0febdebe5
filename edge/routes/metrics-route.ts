// POST /v1/ingest/metrics (seed 000): the Standard Metrics API, Bearer metrics key, strictly validated rows.
import type { Hono } from 'hono';
import { assertRowCaps } from '../../shared/message-caps.ts';
import { metricsBodySchema } from '../../shared/metrics-contract.ts';
import { isJsonObject } from '../../shared/push-format.ts';
import { buildIngestReceipt } from '../../shared/queue-message.ts';
import { parseContract } from '../../shared/zod-problems.ts';
import { bearerToken } from '../auth/credential-source.ts';
import { ingest, type IngestDeps } from '../ingest/ingest-flow.ts';

export function registerMetricsRoute(app: Hono, deps: IngestDeps): void {
  app.post('/v1/ingest/metrics', (c) =>
    ingest(c, deps, {
      endpoint: 'metrics',
      kind: 'metrics',
      secret: bearerToken(c.req.header('authorization')),
      identity: 'metrics',
      prepare(body) {
        // The caps first: they name the limit with their own code, and spare the contract a 349,524-row walk.
        const rows = isJsonObject(body.value) ? body.value['rows'] : undefined;
        if (Array.isArray(rows)) assertRowCaps([{ rows, path: ['rows'] }]);
        const metrics = parseContract(metricsBodySchema, body.value, 'The metrics body does not match {"table", "rows"}.');
        const tables = [{ table: metrics.table, rows: metrics.rows }];
        return {
          kind: 'message',
          payloadFormat: 'envelope',
          targetTable: metrics.table,
          itemKey: null,
          payloadText: body.text,
          rowCount: metrics.rows.length,
          receipt: (messageId) => buildIngestReceipt(messageId, tables),
        };
      },
    }),
  );
}
