// What a sender may learn of a message it sent (GET /v1/ingest/messages/{message_id}, and the answer to
// `Prefer: wait=N`): its state, what landed where, when, and for a dead one a reason safe to show.
import { z } from 'zod';

/** `queued`: waiting to be claimed · `processing`: claimed, landing now · `landed`: every row is in the warehouse · `dead`: never will be. */
export const messageStates = ['queued', 'processing', 'landed', 'dead'] as const;
export type MessageState = (typeof messageStates)[number];

const tableCount = z.strictObject({
  table: z.string().describe('the table (name as sent, before any physical renaming)'),
  rows: z.number().int().nonnegative().describe('rows of this message in the table'),
});

export const messageStatusSchema = z
  .strictObject({
    message_id: z.uuid(),
    state: z.enum(messageStates),
    /** the tables and row counts the message was accepted for (its receipt) */
    accepted: z.array(tableCount).describe('the tables and row counts the message was accepted for, as in its 202 receipt'),
    /** what landed, table by table; null until the message has landed */
    landed: z.array(tableCount).nullable().describe('what landed, table by table; null until the message has landed'),
    received_at: z.string().describe('ISO-8601, when the edge committed the message'),
    landed_at: z.string().nullable().describe('ISO-8601, when the processor committed its rows; null unless landed'),
    attempts: z.number().int().nonnegative().describe('claims of this message by a processor so far'),
    dead: z
      .strictObject({
        code: z.string().describe('a stable error code, e.g. item_key_unusable, warehouse_rejected, retries_exhausted'),
        reason: z.string().describe('why, with every value from the payload redacted'),
        dead_at: z.string(),
      })
      .nullable()
      .describe('why the message will not land; null unless dead'),
  })
  .describe('A message as its sender may see it. Messages pruned by queue retention answer 404.');

export type MessageStatus = z.output<typeof messageStatusSchema>;

/** The queue's status column and lease as the state a sender sees. */
export function messageState(status: 'pending' | 'processing' | 'done' | 'dead'): MessageState {
  switch (status) {
    case 'pending':
      return 'queued';
    case 'processing':
      return 'processing';
    case 'done':
      return 'landed';
    case 'dead':
      return 'dead';
  }
}

/** The largest `Prefer: wait=N` honoured, in seconds (RFC 7240); a larger N waits this long. */
export const MAX_WAIT_SECONDS = 30;
