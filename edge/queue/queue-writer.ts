// The port the gate writes through: one call durably enqueues a batch of accepted requests.
import type { InboundMessage, Receipt } from '../../shared/queue-message.ts';
import type { QueryOptions } from '../db/sql-client.ts';

export type EnqueueResult =
  | { kind: 'inserted' }
  /** The idempotency key already has a message in the queue (the gate's cache was lost or expired). */
  | { kind: 'duplicate'; requestSha256Hex: string; receipt: Receipt }
  /** This message's outcome could not be settled (the batch itself committed); the error says why. */
  | { kind: 'failed'; error: unknown };

export interface QueueWriter {
  /**
   * Writes the batch in one statement. Resolves once it is committed, with one result per message, in order;
   * rejects when the statement failed (then nothing of the batch is stored, unless the acknowledgement was lost).
   */
  enqueueBatch(messages: readonly InboundMessage[], options?: QueryOptions): Promise<EnqueueResult[]>;
  /** Which of these message ids are in the queue: used after a failure that may have hidden a commit. */
  findStored(messageIds: readonly string[], options?: QueryOptions): Promise<Set<string>>;
}
