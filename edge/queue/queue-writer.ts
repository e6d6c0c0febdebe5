// The port the gate writes through: one call durably enqueues a batch of accepted requests.
import type { InboundMessage, Receipt } from '../../shared/queue-message.ts';

export type EnqueueResult =
  | { kind: 'inserted' }
  /** The idempotency key already has a message in the queue (the gate's cache was lost or expired). */
  | { kind: 'duplicate'; requestSha256Hex: string; receipt: Receipt };

export interface QueueWriter {
  /** Resolves only once every message is committed in Postgres, with one result per message, in order. */
  enqueueBatch(messages: readonly InboundMessage[]): Promise<EnqueueResult[]>;
}
