// Group commit: requests that arrive while batches are being written wait for the next free writer, so a busy
// connection costs one Postgres round trip per batch instead of one per request. A quiet one adds no delay.
import type { InboundMessage } from '../../shared/queue-message.ts';
import type { EnqueueResult, QueueWriter } from '../queue/queue-writer.ts';

export const MAX_BATCH_MESSAGES = 200;
/** Keeps one statement well under the driver's and the endpoint's request size limits. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

interface Waiting {
  message: InboundMessage;
  resolve(result: EnqueueResult): void;
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

  enqueue(message: InboundMessage): Promise<EnqueueResult> {
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
    while (this.waiting.length > 0) {
      const batch = this.takeBatch();
      try {
        const results = await writer.enqueueBatch(batch.map((w) => w.message));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    if (this.writers.includes(writer)) this.idle.push(writer);
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
