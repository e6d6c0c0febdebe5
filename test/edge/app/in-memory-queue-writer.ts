// The queue port kept in memory for createApp tests: an array of messages, unique per (scope, Idempotency-Key) as the
// real table's index makes them, a switch that makes every write fail as a Postgres that is down does, and what a
// processor landed (set by the test).
import type { EnqueueResult, QueueWriter } from '../../../edge/queue/queue-writer.ts';
import type { InboundMessage, TableReceipt } from '../../../shared/queue-message.ts';

export class InMemoryQueueWriter implements QueueWriter {
  readonly stored: InboundMessage[] = [];
  /** When set, every write rejects with it (nothing is stored). */
  failure: unknown = undefined;
  /** Messages landed, by message id: a test lands one by setting it. */
  readonly landings = new Map<string, { landedAt: string; landed: TableReceipt[] | null }>();

  async enqueueBatch(messages: readonly InboundMessage[]): Promise<EnqueueResult[]> {
    if (this.failure !== undefined) throw this.failure;
    return messages.map((message) => {
      const earlier = this.stored.find(
        (s) => message.idempotencyKey !== null && s.idempotencyScope === message.idempotencyScope && s.idempotencyKey === message.idempotencyKey,
      );
      if (earlier !== undefined) return { kind: 'duplicate', requestSha256Hex: earlier.requestSha256Hex ?? '', receipt: earlier.receipt };
      this.stored.push(message);
      return { kind: 'inserted' };
    });
  }

  async findStored(messageIds: readonly string[]): Promise<Set<string>> {
    return new Set(this.stored.filter((m) => messageIds.includes(m.messageId)).map((m) => m.messageId));
  }
}
