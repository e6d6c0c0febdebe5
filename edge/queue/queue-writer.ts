// The port the ingest flow writes through: one call durably enqueues one accepted request.
import type { InboundMessage, Receipt } from '../../shared/queue-message.ts';

export type EnqueueResult =
  | { kind: 'inserted' }
  /** The idempotency key already has a message in the queue (the gate's cache was lost or expired). */
  | { kind: 'duplicate'; requestSha256Hex: string; receipt: Receipt };

export interface QueueWriter {
  /** Resolves only once the message is committed in Postgres. */
  enqueue(message: InboundMessage): Promise<EnqueueResult>;
}
