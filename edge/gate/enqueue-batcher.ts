// Group commit: requests that arrive while batches are being written wait for the next free writer, so a busy
// connection costs one Postgres round trip per batch instead of one per request. A quiet one adds no delay.
import { BoitataError } from '../../shared/errors.ts';
import type { InboundMessage } from '../../shared/queue-message.ts';
import type { EnqueueResult, QueueWriter } from '../queue/queue-writer.ts';

export const MAX_BATCH_MESSAGES = 200;
/** Keeps one statement well under the driver's and the endpoint's request size limits. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** What a waiting request finally gets: its message stored (or found stored), or the reason it was not. */
export type BatchedResult = Exclude<EnqueueResult, { kind: 'failed' }>;

interface Waiting {
  message: InboundMessage;
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

  enqueue(message: InboundMessage): Promise<BatchedResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ message, resolve, reject });
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
      results = await writer.enqueueBatch(batch.map((w) => w.message));
    } catch (error) {
      // A value Postgres refuses (class 22, e.g. a number beyond numeric's range) fails the whole statement:
      // write the messages one by one, so only the offending request is refused.
      if (batch.length > 1 && isDataException(error)) {
        for (const w of batch) await this.write(writer, [w]);
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
   */
  private async settleAfterFailure(writer: QueueWriter, batch: Waiting[], error: unknown): Promise<void> {
    let stored = new Set<string>();
    if (!isDataException(error)) stored = await writer.findStored(batch.map((w) => w.message.messageId)).catch(() => stored);
    for (const w of batch) {
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

/** SQLSTATE class 22: Postgres could not store a value (numeric overflow, NUL in text, bad escape, ...). */
export function isDataException(error: unknown): boolean {
  let cause = error;
  while (cause instanceof BoitataError) cause = cause.cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : '';
  return code.startsWith('22');
}
