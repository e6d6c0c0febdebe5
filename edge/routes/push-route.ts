// POST /v1/ingest/push/{ingestToken} (seed 000): flat array, envelope, multi-table or single object, routed by x-tenant-id;
// and a provider's signed delivery to a connection that verifies its signatures (no x-tenant-id needed).
import type { Hono } from 'hono';
import { BoitataError } from '../../shared/errors.ts';
import { assertTableName, detectPushPayload, type DetectedPayload } from '../../shared/push-format.ts';
import { buildIngestReceipt } from '../../shared/queue-message.ts';
import type { JsonBody } from '../http/read-json-body.ts';
import { receiveDelivery } from '../ingest/delivery-flow.ts';
import { ingest, type IngestDeps, type PreparedMessage } from '../ingest/ingest-flow.ts';

export function registerPushRoute(app: Hono, deps: IngestDeps): void {
  app.post('/v1/ingest/push/:ingestToken', (c) => {
    const [queryTable, headerTable] = [c.req.query('table'), c.req.header('x-target-table')];
    const token = c.req.param('ingestToken');
    const explicitTable = () => {
      const table = explicitTableOf(queryTable, headerTable);
      if (table !== undefined) assertTableName(table, 'table');
      return table;
    };
    const asDelivery = (bytes?: Uint8Array) => receiveDelivery(c, deps, { token, explicitTable, bytes });
    // Providers cannot set x-tenant-id: without it, the request can only be a signed delivery (a connection that
    // verifies none answers 401, as before). With it, the gate says when the connection wants a signature.
    if (c.req.header('x-tenant-id') === undefined) return asDelivery();
    return ingest(c, deps, {
      endpoint: 'push',
      kind: 'ingest',
      secret: token,
      tenantClaim: c.req.header('x-tenant-id'),
      asDelivery,
      identity: pushIdentity(queryTable, headerTable),
      prepare(body) {
        const prepareIn = (defaultTable: string | undefined) =>
          pushMessage(body, detectPushPayload(body.value, explicitTableOf(queryTable, headerTable), defaultTable));
        try {
          return prepareIn(undefined);
        } catch (error) {
          if (!(error instanceof BoitataError)) throw error;
          // Any refusal waits for admission, which tells the default table: sorting out here the refusals that
          // table could fix would repeat detectPushPayload's rules. It also begins the Idempotency-Key, so a retry
          // of a body stored in the default table is replayed.
          return { kind: 'needs_default_table', withDefaultTable: prepareIn };
        }
      },
    });
  });
}

function pushMessage(body: JsonBody, { format, tables }: DetectedPayload): PreparedMessage {
  return {
    kind: 'message',
    payloadFormat: format,
    targetTable: tables.length === 1 ? tables[0]!.table : null,
    itemKey: null,
    payloadText: body.text,
    rowCount: tables.reduce((sum, t) => sum + t.rows.length, 0),
    receipt: (messageId) => buildIngestReceipt(messageId, tables),
  };
}

function explicitTableOf(query: string | undefined, header: string | undefined): string | undefined {
  if (query !== undefined && header !== undefined && query !== header) {
    throw new BoitataError('ambiguous_payload', `?table=${JSON.stringify(query)} and x-target-table ${JSON.stringify(header)} disagree: send one of them.`);
  }
  return query ?? header;
}

/** What besides the body a push's Idempotency-Key is bound to: the table it names. */
export function pushIdentity(queryTable: string | undefined, headerTable: string | undefined): string {
  return `push\n${queryTable ?? ''}\n${headerTable ?? ''}`;
}
