// Group commit: requests that arrive while a batch is being written wait for the next batch, so a busy
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
  private flushing = false;
  writer: QueueWriter;

  constructor(writer: QueueWriter) {
    this.writer = writer;
  }

  enqueue(message: InboundMessage): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ message, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.takeBatch();
        try {
          const results = await this.writer.enqueueBatch(batch.map((w) => w.message));
          batch.forEach((w, i) => w.resolve(results[i]!));
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.flushing = false;
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
