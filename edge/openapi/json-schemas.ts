// The zod contracts rendered as the JSON Schemas (2020-12, OpenAPI 3.1's dialect) of the document's components.
// Request bodies are rendered as zod reads them (io: input), answers as the edge writes them (io: output): an object
// that ignores unknown fields takes any field in, but an answer has only the fields it declares.
import { z } from 'zod';
import { errorBodySchema, problemSchema } from '../../shared/contracts/error-body.ts';
import {
  envelopeSchema,
  multiTableSchema,
  pushBodySchema,
  rowSchema,
  rowsSchema,
  tableNameSchema,
  webhookBodySchema,
} from '../../shared/contracts/push-body.ts';
import {
  challengeAnswerSchema,
  eventReceiptSchema,
  ingestReceiptSchema,
  landedEventReceiptSchema,
  landedIngestReceiptSchema,
} from '../../shared/contracts/receipts.ts';
import { eventEnvelopeSchema } from '../../shared/event-contract.ts';
import { messageStatusSchema } from '../../shared/message-status.ts';
import { metricRowSchema, metricsBodySchema } from '../../shared/metrics-contract.ts';

export type JsonSchema = { [key: string]: unknown };

/** Components read from requests. */
const requestComponents = {
  PushBody: pushBodySchema,
  PushEnvelope: envelopeSchema,
  PushMultiTable: multiTableSchema,
  WebhookBody: webhookBodySchema,
  Rows: rowsSchema,
  Row: rowSchema,
  TableName: tableNameSchema,
  MetricsBody: metricsBodySchema,
  MetricRow: metricRowSchema,
  EventEnvelope: eventEnvelopeSchema,
} satisfies Record<string, z.ZodType>;

/** Components the edge answers with. */
const responseComponents = {
  IngestReceipt: ingestReceiptSchema,
  LandedIngestReceipt: landedIngestReceiptSchema,
  EventReceipt: eventReceiptSchema,
  LandedEventReceipt: landedEventReceiptSchema,
  ChallengeAnswer: challengeAnswerSchema,
  MessageStatus: messageStatusSchema,
  ErrorBody: errorBodySchema,
  Problem: problemSchema,
} satisfies Record<string, z.ZodType>;

export type ComponentName = keyof typeof requestComponents | keyof typeof responseComponents;

/** The zod contract of each component: what a test holds the document's examples and the edge's answers to. */
export const componentContracts: Record<ComponentName, z.ZodType> = { ...requestComponents, ...responseComponents };

export function componentRef(name: ComponentName): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/** Every component schema, the ones a component uses referenced by `$ref`. */
export function componentSchemas(): Record<string, JsonSchema> {
  return { ...render(requestComponents, 'input'), ...render(responseComponents, 'output') };
}

/** A schema used in one place (a header, a path parameter), inline. */
export function inlineSchema(schema: z.ZodType): JsonSchema {
  return withoutRootKeywords(z.toJSONSchema(schema, { io: 'input', override: openObjects }) as JsonSchema);
}

function render(components: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(components)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}`, ...(io === 'input' ? { override: openObjects } : {}) });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, withoutRootKeywords(schema as JsonSchema)]));
}

/**
 * A plain `z.object()` ignores fields it does not declare, so it takes them in: said explicitly, since zod leaves it
 * implicit and generators read an object without `additionalProperties` as closed (a row would take no field).
 */
function openObjects({ zodSchema, jsonSchema }: { zodSchema: z.core.$ZodTypes; jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  if (zodSchema._zod.def.type === 'object' && jsonSchema.type === 'object' && jsonSchema.additionalProperties === undefined) {
    jsonSchema.additionalProperties = {};
  }
}

// A component is not a document of its own: its `$schema` is the document's dialect, and an `$id` with a fragment
// is not a valid 2020-12 identifier.
function withoutRootKeywords(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}
