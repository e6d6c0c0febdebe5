// The four ingest endpoints as OpenAPI operations: their parameters, bodies (zod contracts), answers and examples.
import { PUSH_FORMAT_RULES } from '../../shared/contracts/push-body.ts';
import type { ErrorCode } from '../../shared/errors.ts';
import { MAX_BODY_BYTES } from '../../shared/json-safety.ts';
import { eventExamples, metricsExamples, pushExamples, receiptExamples, webhookExamples } from './examples.ts';
import { componentRef, type ComponentName } from './json-schemas.ts';
import {
  contentEncodingHeader,
  idempotencyKeyHeader,
  ingestTokenPath,
  itemKeyHeader,
  preferHeader,
  pushTenantHeader,
  streamPath,
  tableQuery,
  targetTableHeader,
  type ParameterObject,
} from './parameters.ts';
import { errorResponses, INGEST_ERROR_CODES, successHeaders, type ResponseObject } from './responses.ts';

export type Operation = {
  operationId: string;
  tags: string[];
  summary: string;
  description: string;
  parameters: ParameterObject[];
  security?: Array<Record<string, string[]>>;
  requestBody?: { required: true; description: string; content: Record<string, { schema: unknown; examples?: unknown }> };
  responses: Record<string, ResponseObject>;
};

const BODY_RULES =
  `A JSON body (\`Content-Type: application/json\` or \`application/*+json\`, UTF-8) of at most ${MAX_BODY_BYTES.toLocaleString('en-US')} bytes ` +
  '(decompressed, for a gzip body). Every key once per object, nesting at most 32 deep, number exponents within ±50, no NUL or unpaired surrogate.';

const WAIT_NOTE = ' With `Prefer: wait=N`, a 200 once the message has landed, or this 202 when N seconds passed first.';

function jsonBody(schema: ComponentName, examples: Record<string, unknown>): NonNullable<Operation['requestBody']> {
  return { required: true, description: BODY_RULES, content: { 'application/json': { schema: componentRef(schema), examples } } };
}

/** 202 (stored) and 200 (landed while waiting), with the rate-limit, replay and Preference-Applied headers. */
function receipts(
  stored: ComponentName,
  landed: ComponentName,
  examples: { stored: unknown; landed: unknown },
  extra200?: ComponentName,
): Record<string, ResponseObject> {
  const landedSchema = extra200 === undefined ? componentRef(landed) : { oneOf: [componentRef(landed), componentRef(extra200)] };
  return {
    '200': {
      description:
        'The message landed in the warehouse while the request waited (`Prefer: wait=N`).' +
        (extra200 === undefined ? '' : " Or: the answer to a provider's URL verification (a signed Slack delivery)."),
      headers: successHeaders,
      content: { 'application/json': { schema: landedSchema, examples: { landed: examples.landed } } },
    },
    '202': {
      description: `Stored: committed in the queue, to be landed by the processor.${WAIT_NOTE}`,
      headers: successHeaders,
      content: { 'application/json': { schema: componentRef(stored), examples: { stored: examples.stored } } },
    },
  };
}

const ingestReceipts = (extra200?: ComponentName) =>
  receipts('IngestReceipt', 'LandedIngestReceipt', { stored: receiptExamples.queued, landed: receiptExamples.landed }, extra200);

const common = [idempotencyKeyHeader, contentEncodingHeader, preferHeader];
const without = (codes: readonly ErrorCode[], ...dropped: ErrorCode[]) => codes.filter((code) => !dropped.includes(code));

export const ingestOperations: Record<string, { post: Operation }> = {
  '/v1/ingest/push/{ingestToken}': {
    post: {
      operationId: 'push',
      tags: ['ingest'],
      summary: 'Push rows: a flat array, an envelope, a multi-table object or one object',
      description:
        `${PUSH_FORMAT_RULES}\n\nA connection that verifies a provider's signatures (Stripe, GitHub, Shopify, Slack, Standard Webhooks, ` +
        "generic HMAC) takes the provider's signed delivery here without `x-tenant-id`; the provider's delivery id is its Idempotency-Key.",
      parameters: [ingestTokenPath, tableQuery, pushTenantHeader, targetTableHeader, ...common],
      security: [],
      requestBody: jsonBody('PushBody', pushExamples),
      responses: {
        ...ingestReceipts('ChallengeAnswer'),
        ...errorResponses([
          ...INGEST_ERROR_CODES,
          'ambiguous_payload',
          'too_many_tables',
          'signature_missing',
          'signature_invalid',
          'timestamp_out_of_tolerance',
          'ip_not_allowed',
        ]),
      },
    },
  },
  '/api/webhook/{stream}': {
    post: {
      operationId: 'webhook',
      tags: ['ingest'],
      summary: 'Send one object or an array of objects to a stream (table)',
      description:
        "`Authorization: Bearer <ingest token>` (the connection's token). Nested objects are kept whole in the queue and flattened by " +
        'the processor (`location.city`). With `X-Item-Key`, rows are upserted on that field downstream.',
      parameters: [streamPath, itemKeyHeader, ...common],
      security: [{ ingestToken: [] }],
      requestBody: jsonBody('WebhookBody', webhookExamples),
      responses: { ...ingestReceipts(), ...errorResponses([...INGEST_ERROR_CODES, 'ip_not_allowed']) },
    },
  },
  '/v1/ingest/metrics': {
    post: {
      operationId: 'ingestMetrics',
      tags: ['ingest'],
      summary: 'The Standard Metrics API: dated, named, numeric measurements',
      description:
        '`Authorization: Bearer <metrics key>`. Body `{"table", "rows"}`, nothing else. Each row has exactly one of `date` ' +
        '(`YYYY-MM-DD`, a real calendar date) or `timestamp` (ISO-8601 with `Z` or an offset), a non-empty `metric_name`, a finite ' +
        'numeric `value`, and any other fields as scalar dimensions (string, number, boolean, null).',
      parameters: [...common],
      security: [{ metricsKey: [] }],
      requestBody: jsonBody('MetricsBody', metricsExamples),
      responses: { ...ingestReceipts(), ...errorResponses(INGEST_ERROR_CODES) },
    },
  },
  '/v1/events/ingest': {
    post: {
      operationId: 'ingestEvent',
      tags: ['ingest'],
      summary: 'The events API (seed 002): one event envelope',
      description:
        '`X-API-Key: <source key>`. `event_type`, `source_id` and `payload` (an object) are required; `event_id`, `environment`, ' +
        '`severity` and `timestamp` (ISO-8601 with an offset) are optional; unknown fields are refused. `source_id` must be the ' +
        "key's source (else 403). Without `event_id`, one is generated (`evt_<uuid>`) and added to the stored event; a repeated " +
        "`event_id` counts as the Idempotency-Key when no header is given. Events land in the tenant's `events` table.",
      parameters: [...common],
      security: [{ sourceKey: [] }],
      requestBody: jsonBody('EventEnvelope', eventExamples),
      responses: {
        ...receipts('EventReceipt', 'LandedEventReceipt', { stored: receiptExamples.eventStored, landed: receiptExamples.eventLanded }),
        ...errorResponses([...without(INGEST_ERROR_CODES, 'too_many_rows'), 'source_not_allowed']),
      },
    },
  },
};
