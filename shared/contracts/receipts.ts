// The success bodies of the ingest endpoints as zod contracts: the 202 receipt, the 200 a `Prefer: wait=N` gets once
// the message landed, and the Slack URL-verification answer. The OpenAPI document is generated from them, and the
// edge's answers are tested against them; the types below are derived from them.
import { z } from 'zod';

const tableReceiptSchema = z.strictObject({
  table: z.string().describe('the table, as named in the request'),
  rows: z.int().nonnegative().describe('rows of this message for the table'),
});

const receiptFields = {
  message_id: z.uuid().describe('the queue message id: GET /v1/ingest/messages/{message_id} tells what became of it'),
  tables: z.array(tableReceiptSchema).describe('the tables and row counts accepted'),
  rows: z.int().nonnegative().describe('rows accepted, every table counted'),
};

/** The 202 of push, webhook and metrics. */
export const ingestReceiptSchema = z
  .strictObject({
    ...receiptFields,
    status: z
      .enum(['queued', 'dead_lettered'])
      .describe(
        '`queued`: stored, waiting to land. `dead_lettered`: a verified provider delivery that breaks a content rule, stored with the reason in `error`.',
      ),
    error: z
      .strictObject({ code: z.string(), message: z.string().describe('why, with no value from the payload') })
      .exactOptional()
      .describe('only with `dead_lettered`'),
  })
  .describe('The receipt: the message is committed in the queue.');

/** The 200 of push, webhook and metrics when `Prefer: wait=N` saw the message land. */
export const landedIngestReceiptSchema = z
  .strictObject({
    ...receiptFields,
    status: z.literal('landed'),
    landed_at: z.string().describe('ISO-8601: when the processor committed the rows to the warehouse'),
    landed: z.array(tableReceiptSchema).nullable().describe('what landed, table by table; null when the processor did not record it'),
  })
  .describe('The receipt of a message that landed while the request waited (`Prefer: wait=N`).');

const eventFields = {
  accepted: z.literal(true),
  event_id: z.string().describe('the event_id sent, or the one generated (`evt_<uuid>`)'),
  message_id: z.uuid().describe('the queue message id: GET /v1/ingest/messages/{message_id} tells what became of it'),
};

/** The 202 of the events API, as seed 002 specifies, plus the queue message id. */
export const eventReceiptSchema = z.strictObject({ ...eventFields, status: z.literal('stored') }).describe("Seed 002's receipt: the event is stored.");

/** The 200 of the events API when `Prefer: wait=N` saw the event land: seed 002's body, `status: 'landed'`. */
export const landedEventReceiptSchema = z
  .strictObject({ ...eventFields, status: z.literal('landed') })
  .describe("Seed 002's receipt of an event that landed while the request waited (`Prefer: wait=N`).");

/** A signed delivery that is a provider's URL check (Slack's `url_verification`) is answered with its challenge. */
export const challengeAnswerSchema = z.strictObject({ challenge: z.string() }).describe("The answer to a provider's URL verification (Slack).");

export type IngestReceiptBody = z.output<typeof ingestReceiptSchema>;
export type LandedIngestReceiptBody = z.output<typeof landedIngestReceiptSchema>;
export type EventReceiptBody = z.output<typeof eventReceiptSchema>;
export type LandedEventReceiptBody = z.output<typeof landedEventReceiptSchema>;
