// The OpenAPI 3.1 document of the edge, built from the zod contracts the edge validates with (shared/contracts,
// shared/*-contract.ts, shared/message-status.ts). Pure: GET /openapi.json serves it, the generated client is made
// from it, and test/edge/app/openapi.test.ts holds it to createApp's routes.
import { MAX_WAIT_SECONDS } from '../../shared/message-status.ts';
import { receiptExamples } from './examples.ts';
import { ingestOperations, type Operation } from './ingest-operations.ts';
import { componentRef, componentSchemas } from './json-schemas.ts';
import { messageIdPath, statusTenantHeader } from './parameters.ts';
import { errorResponses, headerComponents, statusHeaders } from './responses.ts';

export type OpenApiDocument = {
  openapi: '3.1.1';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string; description: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<'get' | 'post', Operation>>>;
  components: { schemas: Record<string, unknown>; headers: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

const DESCRIPTION = [
  'Boitatá takes webhooks, pushes, metrics and events at the edge, stores each accepted request durably in a Postgres queue before ',
  'answering 202, and lands its rows in the warehouse. Every answer to a request that passed its credential carries the IETF ',
  '`RateLimit-*` fields; a 429 and a 503 carry `Retry-After`. Every error is `{"error": {"code", "message", "problems"}}`. ',
  `Send \`Prefer: wait=N\` (N ≤ ${MAX_WAIT_SECONDS}) to any ingest endpoint to get a 200 once the message has landed, and `,
  'GET /v1/ingest/messages/{message_id} to learn what became of a message later.',
].join('');

const messageStatus: Operation = {
  operationId: 'getMessageStatus',
  tags: ['messages'],
  summary: 'What became of a message: queued, processing, landed or dead',
  description:
    'Asked with the credential that sent the message (or its rotation successor): an ingest token as `Authorization: Bearer` with ' +
    "`x-tenant-id`, the metrics key as `Authorization: Bearer`, or the source key as `X-API-Key`. Another credential's or tenant's " +
    'message, an unknown id and a message pruned by queue retention get the same 404. Each read counts against the rate limit.',
  parameters: [messageIdPath, statusTenantHeader],
  security: [{ ingestToken: [] }, { metricsKey: [] }, { sourceKey: [] }],
  responses: {
    '200': {
      description: "The message's state.",
      headers: statusHeaders,
      content: { 'application/json': { schema: componentRef('MessageStatus'), examples: { landed: receiptExamples.status } } },
    },
    ...errorResponses(['unauthorized', 'ip_not_allowed', 'not_found', 'rate_limited', 'internal_error', 'database_unavailable']),
  },
};

const health: Operation = {
  operationId: 'health',
  tags: ['service'],
  summary: 'The Worker is up (it does not touch Postgres)',
  description: 'Always 200 while the Worker runs.',
  parameters: [],
  security: [],
  responses: {
    '200': {
      description: 'Up.',
      content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] } } },
    },
  },
};

const openApi: Operation = {
  operationId: 'openApiDocument',
  tags: ['service'],
  summary: 'This document',
  description: 'The OpenAPI 3.1 document of the edge, generated from the contracts it validates with.',
  parameters: [],
  security: [],
  responses: { '200': { description: 'The document.', content: { 'application/json': { schema: { type: 'object' } } } } },
};

const bearer = (format: string, description: string) => ({ type: 'http', scheme: 'bearer', bearerFormat: format, description });

export function buildOpenApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.1',
    info: { title: 'Boitatá ingestion API', version: '1', description: DESCRIPTION },
    // Relative: the edge that served this document (OpenAPI 3.1 resolves a relative server URL against the document's).
    servers: [{ url: '/', description: 'the edge this document was fetched from' }],
    tags: [
      { name: 'ingest', description: 'The four ingest endpoints: each answers 202 once the message is committed in the queue.' },
      { name: 'messages', description: 'What became of a message.' },
      { name: 'service', description: 'The service itself.' },
    ],
    paths: {
      ...ingestOperations,
      '/v1/ingest/messages/{message_id}': { get: messageStatus },
      '/health': { get: health },
      '/openapi.json': { get: openApi },
    },
    components: {
      schemas: componentSchemas(),
      headers: headerComponents,
      securitySchemes: {
        ingestToken: bearer('bt_ik_…', "A connection's ingest token (the webhook endpoint; the push endpoint takes it in its path)."),
        metricsKey: bearer('bt_mk_…', 'A metrics API key.'),
        sourceKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A source API key (`bt_sk_…`) of the events API.' },
      },
    },
  };
}

let built: OpenApiDocument | undefined;

/** The document, built once per isolate: it depends on nothing but the code. */
export function openApiDocument(): OpenApiDocument {
  built ??= buildOpenApiDocument();
  return built;
}
