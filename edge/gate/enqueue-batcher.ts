// Group commit: requests that arrive while batches are being written wait for the next free writer, so a busy
// connection costs one Postgres round trip per batch instead of one per request. A quiet one adds no delay.
// Every request carries a deadline: it is answered by then whether or not its batch (or the one ahead) has finished.
import type { InboundMessage } from '../../shared/queue-message.ts';
import { noAnswerInTime } from '../db/sql-client.ts';
import type { EnqueueResult, QueueWriter } from '../queue/queue-writer.ts';
import { isDataException } from './gate-failure.ts';

export const MAX_BATCH_MESSAGES = 200;
/** Keeps one statement well under the driver's and the endpoint's request size limits. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** What a waiting request finally gets: its message stored (or found stored), or the reason it was not. */
export type BatchedResult = Exclude<EnqueueResult, { kind: 'failed' }>;

interface Waiting {
  message: InboundMessage;
  deadlineAt: number;
  /** False once answered (its batch settled, or its deadline passed first). */
  open: boolean;
  resolve(result: BatchedResult): void;
  reject(error: unknown): void;
}

export class EnqueueBatcher {
  private readonly waiting: Waiting[] = [];
  /** One writer per batch in flight: each holds its own connection, so commits overlap instead of queueing. */
  readonly writers: QueueWriter[];
  private readonly idle: QueueWriter[];

  constructor(writers: QueueWriter[]) {
    if (writers.length === 0) throw new Error('EnqueueBatcher needs at least one writer');
    this.writers = writers;
    this.idle = [...writers];
  }

  /**
   * Resolves once the message is committed; rejects with `database_unavailable` at `deadlineAt` at the latest.
   * A message still waiting for a writer then is dropped (never stored); one whose statement was sent may still
   * commit later, which the sender's retry with the same Idempotency-Key finds instead of storing it twice.
   */
  enqueue(message: InboundMessage, deadlineAt: number): Promise<BatchedResult> {
    const waitedFrom = Date.now();
    return new Promise((resolve, reject) => {
      const entry: Waiting = {
        message,
        deadlineAt,
        open: true,
        resolve: (result) => settle(() => resolve(result)),
        reject: (error) => settle(() => reject(error)),
      };
      const timer = setTimeout(
        () => {
          const queued = this.waiting.indexOf(entry);
          if (queued >= 0) this.waiting.splice(queued, 1);
          entry.reject(noAnswerInTime(Date.now() - waitedFrom));
        },
        Math.max(0, deadlineAt - waitedFrom),
      );
      function settle(answer: () => void): void {
        if (!entry.open) return;
        entry.open = false;
        clearTimeout(timer);
        answer();
      }
      this.waiting.push(entry);
      const writer = this.idle.pop();
      if (writer !== undefined) void this.drain(writer);
    });
  }

  /** Replaces every writer (tests use it to point the gate at a Postgres that is down). */
  replaceWriters(make: (index: number) => QueueWriter): void {
    this.writers.forEach((_, i) => (this.writers[i] = make(i)));
    this.idle.splice(0, this.idle.length, ...this.writers);
  }

  private async drain(writer: QueueWriter): Promise<void> {
    while (this.waiting.length > 0) await this.write(writer, this.takeBatch());
    if (this.writers.includes(writer)) this.idle.push(writer);
  }

  private async write(writer: QueueWriter, batch: Waiting[]): Promise<void> {
    let results: EnqueueResult[];
    try {
      // The statement runs until the last of its requests stops waiting; those with earlier deadlines are answered
      // 503 at theirs by their own timers meanwhile.
      results = await writer.enqueueBatch(
        batch.map((w) => w.message),
        { deadlineAt: latestDeadline(batch) },
      );
    } catch (error) {
      // A value Postgres refuses (class 22, e.g. a number beyond numeric's range) fails the whole statement:
      // write the messages one by one, so only the offending request is refused.
      if (batch.length > 1 && isDataException(error)) {
        for (const w of batch) if (w.open) await this.write(writer, [w]);
        return;
      }
      await this.settleAfterFailure(writer, batch, error);
      return;
    }
    batch.forEach((w, i) => {
      const result = results[i]!;
      if (result.kind === 'failed') w.reject(result.error);
      else w.resolve(result);
    });
  }

  /**
   * A failed statement may still have committed (the connection dropped after COMMIT, before the answer):
   * ask again on a fresh connection, so a stored message is answered 202 rather than retried into a duplicate.
   * Only while someone still waits for the answer, and no longer than they wait.
   */
  private async settleAfterFailure(writer: QueueWriter, batch: Waiting[], error: unknown): Promise<void> {
    const waiting = batch.filter((w) => w.open);
    if (waiting.length === 0) return;
    let stored = new Set<string>();
    if (!isDataException(error)) {
      stored = await writer
        .findStored(
          waiting.map((w) => w.message.messageId),
          { deadlineAt: latestDeadline(waiting) },
        )
        .catch(() => stored);
    }
    for (const w of waiting) {
      if (stored.has(w.message.messageId)) w.resolve({ kind: 'inserted' });
      else w.reject(error);
    }
  }

  private takeBatch(): Waiting[] {
    let bytes = 0;
    let count = 0;
    for (const w of this.waiting) {
      bytes += w.message.payload.length;
      if (count > 0 && (count >= MAX_BATCH_MESSAGES || bytes > MAX_BATCH_BYTES)) break;
      count++;
    }
    return this.waiting.splice(0, count);
  }
}

function latestDeadline(batch: readonly Waiting[]): number {
  return Math.max(...batch.map((w) => w.deadlineAt));
}
