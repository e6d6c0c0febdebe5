// POST /api/webhook/{stream} (seed 001): one object or an array, Bearer ingest key, X-Item-Key for upserts.
import type { Hono } from 'hono';
import { BoitataError, formatPath, type Problem } from '../../shared/errors.ts';
import { assertRowCaps } from '../../shared/message-caps.ts';
import { itemKeyHeaderSchema, itemKeyValueSchema, rowSchema } from '../../shared/contracts/push-body.ts';
import { assertTableName, describeType, readRows, type JsonObject } from '../../shared/push-format.ts';
import { buildIngestReceipt } from '../../shared/queue-message.ts';
import { bearerToken } from '../auth/credential-source.ts';
import { ingest, type IngestDeps } from '../ingest/ingest-flow.ts';

export function registerWebhookRoute(app: Hono, deps: IngestDeps): void {
  app.post('/api/webhook/:stream', (c) => {
    const stream = c.req.param('stream');
    const itemKey = c.req.header('x-item-key');
    return ingest(c, deps, {
      endpoint: 'webhook',
      kind: 'ingest',
      secret: bearerToken(c.req.header('authorization')),
      identity: `webhook\n${stream}\n${itemKey ?? ''}`,
      prepare(body) {
        assertTableName(stream, 'stream');
        const value = body.value;
        // The shapes of webhookBodySchema (shared/contracts/push-body.ts), checked one at a time so each refusal says which.
        const rows = Array.isArray(value) ? readRows(value, []) : rowSchema.safeParse(value).success ? [value as JsonObject] : undefined;
        if (rows === undefined) {
          throw new BoitataError('invalid_payload', 'Send one JSON object or an array of objects.', {
            problems: [{ path: '$', message: `expected an object or an array, got ${describeType(value)}` }],
          });
        }
        assertRowCaps([{ rows, path: Array.isArray(value) ? [] : null }]);
        if (itemKey !== undefined) assertItemKey(itemKey, rows, Array.isArray(value));
        const tables = [{ table: stream, rows }];
        return {
          kind: 'message',
          payloadFormat: Array.isArray(value) ? 'array' : 'object',
          targetTable: stream,
          itemKey: itemKey ?? null,
          payloadText: body.text,
          rowCount: rows.length,
          receipt: (messageId) => buildIngestReceipt(messageId, tables),
        };
      },
    });
  });
}

/** Every row must carry the X-Item-Key field with a string or number: it is the key rows are upserted on. */
function assertItemKey(itemKey: string, rows: JsonObject[], isArray: boolean): void {
  if (!itemKeyHeaderSchema.safeParse(itemKey).success) {
    throw new BoitataError('invalid_payload', 'X-Item-Key must name a field (1-256 characters, no spaces).', {
      problems: [{ path: 'headers.X-Item-Key', message: 'expected a field name' }],
    });
  }
  const problems: Problem[] = [];
  rows.forEach((row, index) => {
    const key = row[itemKey];
    if (!itemKeyValueSchema.safeParse(key).success) {
      const path = formatPath(isArray ? [index, itemKey] : [itemKey]);
      problems.push({ path, message: `X-Item-Key "${itemKey}" needs a string or number here, got ${describeType(key)}` });
    }
  });
  if (problems.length > 0) {
    throw new BoitataError('invalid_payload', `Every row needs the X-Item-Key field "${itemKey}".`, {
      problems: problems.slice(0, 20),
    });
  }
}
