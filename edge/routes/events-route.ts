// POST /v1/events/ingest (seed 002): the event envelope with a source-scoped X-API-Key.
import type { Hono } from 'hono';
import { EVENTS_TABLE, eventEnvelopeSchema, type EventEnvelope } from '../../shared/event-contract.ts';
import { assertRowCaps } from '../../shared/message-caps.ts';
import { parseContract } from '../../shared/zod-problems.ts';
import { ingest, type IngestDeps } from '../ingest/ingest-flow.ts';

export function registerEventsRoute(app: Hono, deps: IngestDeps): void {
  app.post('/v1/events/ingest', (c) => {
    let envelope: EventEnvelope | undefined;
    return ingest(c, deps, {
      endpoint: 'event',
      kind: 'source',
      secret: c.req.header('x-api-key'),
      identity: 'event',
      // Parsed before the gate: the gate checks source_id against the key, and event_id guards retries
      // that carry no Idempotency-Key.
      claims(body) {
        // The whole envelope is the row the processor flattens (`payload.amount`), so the row caps apply to it.
        assertRowCaps([{ rows: [body.value], path: null }]);
        envelope = parseContract(eventEnvelopeSchema, body.value, 'The event does not match the event envelope.');
        return {
          sourceClaim: envelope.source_id,
          ...(envelope.event_id === undefined ? {} : { implicitIdempotencyKey: `event_id:${envelope.event_id}` }),
        };
      },
      prepare(body) {
        const eventId = envelope!.event_id ?? `evt_${crypto.randomUUID()}`;
        return {
          kind: 'message',
          payloadFormat: 'object',
          targetTable: EVENTS_TABLE,
          itemKey: null,
          payloadText: envelope!.event_id === undefined ? withEventId(body.text, eventId) : body.text,
          rowCount: 1,
          receipt: (messageId) => ({ accepted: true, event_id: eventId, status: 'stored', message_id: messageId }),
        };
      },
    });
  });
}

/**
 * The event as sent, with the generated event_id added as its first field. Editing the text rather than
 * re-serializing the parsed value keeps every number exactly as the producer wrote it (2^53 and beyond).
 */
function withEventId(text: string, eventId: string): string {
  const body = text.trimStart();
  return `{"event_id":${JSON.stringify(eventId)},${body.slice(1)}`;
}
