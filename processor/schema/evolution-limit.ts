// How many schema evolutions one processor runs at once. An evolution holds a pooled Postgres client for its whole
// transaction (advisory lock, warehouse DDL, the model's answer) and its matcher asks the same pool for another;
// lanes × tenants × tables could start 18 at once, and with every client held by an evolution waiting for a second
// one, nothing moved until the pool's connect timeout failed them all — claims and lease renewals included.

/** Clients an evolution never takes: claims, lease renewals, acknowledgements and the status page keep these. */
export const CLIENTS_KEPT_FOR_THE_QUEUE = 2;

/** At most this many evolutions at once for a pool of `poolSize` clients: two clients each, the queue's kept apart. */
export function evolutionsAtOnce(poolSize: number): number {
  return Math.max(1, Math.floor((poolSize - CLIENTS_KEPT_FOR_THE_QUEUE) / 2));
}

/** A counting semaphore: at most `limit` of the works run at once, the others wait in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    while (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}
