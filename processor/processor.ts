// The loop: claim a micro-batch, land it, settle each message (done, dead, or retry later), repeat.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchLoader, BatchOutcome } from './batch-loader.ts';
import type { Logger } from './logger.ts';
import type { ProcessorMetrics } from './metrics.ts';
import type { StoredMessage } from './queue/stored-message.ts';
import { DEFAULT_CLAIM_LIMITS, type ClaimedBatch, type ClaimLimits, type QueueStore } from './queue/queue-store.ts';
import { byTenant, countsAsFailure, LeaseLostError, returnToQueue, settleOutcome, type Settling } from './settle-batch.ts';
import { WarehouseError } from './warehouse/warehouse.ts';

export interface ProcessorSettings {
  batchSize: number;
  pollIntervalMs: number;
  leaseSeconds: number;
  maxAttempts: number;
  maxBackoffSeconds?: number;
  /** batches in flight at once (each lane claims every poll interval; writes to one table stay in order) */
  lanes?: number;
  /** what one claim may take besides `batchSize` messages (defaults: DEFAULT_CLAIM_LIMITS) */
  claim?: Partial<Omit<ClaimLimits, 'messages'>>;
  /** tenants of one batch landed at once, each settled on its own (default 3) */
  tenantConcurrency?: number;
}

export interface IterationResult {
  claimed: number;
  outcome: BatchOutcome | null;
  error: Error | null;
}

interface TenantResult {
  outcome: BatchOutcome | null;
  error: Error | null;
}

export class Processor {
  private readonly queue: QueueStore;
  private readonly loader: BatchLoader;
  private readonly log: Logger;
  private readonly metrics: ProcessorMetrics | null;
  private readonly settings: ProcessorSettings;
  private readonly hook: (stage: string) => Promise<void>;
  private stopping = false;
  private wake: AbortController = new AbortController();
  // Batches in hand, and whether each has started writing (a batch that has may still commit: on shutdown it is
  // left to its lease rather than handed back at once).
  private readonly inFlight = new Map<StoredMessage[], { writing: boolean }>();
  // Claims of this process's lanes, one at a time: a message claimed alone (to isolate a crash) is only claimed
  // when no other batch is in hand here, and while it is in hand no other batch is claimed here.
  private claimTail: Promise<unknown> = Promise.resolve();
  private batchesInHand = 0;
  private aloneInHand = false;
  private lastIterationAt = Date.now();
  private lastErrorText: string | null = null;
  private readonly settling: Settling;

  constructor(options: {
    queue: QueueStore;
    loader: BatchLoader;
    log: Logger;
    metrics?: ProcessorMetrics;
    settings: ProcessorSettings;
    hook?: (stage: string) => Promise<void>;
  }) {
    this.hook = options.hook ?? (async () => undefined);
    this.queue = options.queue;
    this.loader = options.loader;
    this.log = options.log;
    this.metrics = options.metrics ?? null;
    this.settings = options.settings;
    this.settling = {
      queue: this.queue,
      log: this.log,
      metrics: this.metrics,
      maxAttempts: this.settings.maxAttempts,
      maxBackoffSeconds: this.settings.maxBackoffSeconds ?? 300,
    };
  }

  /**
   * Runs until stop(). Each lane claims a batch every poll interval, or at once after a full batch. With two
   * lanes (the default) one batch is being claimed and prepared while the other is being written, and the
   * lanes start half an interval apart, so a message waits at most about half an interval to be claimed.
   */
  async run(): Promise<void> {
    const lanes = Math.max(1, this.settings.lanes ?? 2);
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        if (lane > 0) await sleep((this.settings.pollIntervalMs * lane) / lanes, undefined, { signal: this.wake.signal }).catch(() => undefined);
        await this.lane();
      }),
    );
  }

  private async lane(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const started = Date.now();
      const result = await this.runOnce();
      failures = result.error === null ? 0 : failures + 1;
      if (this.stopping) break;
      if (result.error === null && result.claimed >= this.settings.batchSize) continue;
      // Claims start every poll interval (not an interval after the last batch ended), so a batch that took
      // 2 s is followed by the next claim 1 s later; failures back off exponentially up to a minute.
      const wait =
        failures === 0 ? this.settings.pollIntervalMs - (Date.now() - started) : Math.min(this.settings.pollIntervalMs * 2 ** Math.min(failures, 6), 60_000);
      if (wait <= 0) continue;
      await sleep(wait, undefined, { signal: this.wake.signal }).catch(() => undefined);
    }
  }

  /** Finish the batch in hand, then leave the loop. */
  stop(): void {
    this.stopping = true;
    this.wake.abort();
  }

  /** What to hand back when a shutdown cannot wait for the batches in hand any longer. */
  async releaseCurrent(): Promise<void> {
    const idle = [...this.inFlight].filter(([, state]) => !state.writing).flatMap(([messages]) => messages);
    await this.queue.release(idle.map((m) => m.queueId));
  }

  /** Claims and lands until the queue has nothing claimable (tests and one-shot runs). */
  async drain(): Promise<IterationResult[]> {
    const results: IterationResult[] = [];
    for (;;) {
      const result = await this.runOnce();
      results.push(result);
      if (result.error !== null) throw result.error;
      if (result.claimed === 0) return results;
    }
  }

  sinceLastIteration(): number {
    return Date.now() - this.lastIterationAt;
  }

  lastError(): string | null {
    return this.lastErrorText;
  }

  async runOnce(): Promise<IterationResult> {
    let claimed: ClaimedBatch;
    try {
      claimed = await this.claim();
    } catch (error) {
      return this.failed(error as Error, 0);
    }
    for (const dead of claimed.deadLettered) {
      this.metrics?.messages.inc({ outcome: 'dead' });
      this.log.warn('message dead-lettered', { queue_id: dead.queueId, code: dead.code, reason: dead.reason });
    }
    this.lastIterationAt = Date.now();
    const { messages } = claimed;
    if (messages.length === 0) return { claimed: 0, outcome: null, error: null };
    try {
      return await this.landBatch(messages);
    } finally {
      this.batchesInHand--;
      if (claimed.alone) this.aloneInHand = false;
    }
  }

  private claim(): Promise<ClaimedBatch> {
    const limits = { ...DEFAULT_CLAIM_LIMITS, ...this.settings.claim, messages: this.settings.batchSize };
    const result = this.claimTail.then(async (): Promise<ClaimedBatch> => {
      if (this.aloneInHand) return { messages: [], deadLettered: [], alone: false };
      const batch = await this.queue.claimBatch(limits, { mayIsolate: this.batchesInHand === 0 });
      if (batch.messages.length === 0) return { ...batch, alone: false };
      this.batchesInHand++;
      if (batch.alone) {
        this.aloneInHand = true;
        this.log.warn('claimed a message alone: its earlier batches never settled (the processor died or hung)', { queue_id: batch.messages[0]?.queueId });
      }
      return batch;
    });
    this.claimTail = result.catch(() => undefined);
    return result;
  }

  private async landBatch(messages: StoredMessage[]): Promise<IterationResult> {
    const started = performance.now();
    const heartbeat = setInterval(
      () => {
        this.queue.heartbeat(messages.map((m) => m.queueId)).catch((error: Error) => this.log.warn('lease heartbeat failed', { error }));
      },
      (this.settings.leaseSeconds * 1000) / 3,
    );
    try {
      await this.hook('claimed');
      // Each tenant's messages land and settle on their own: one tenant's slow or failing tables never hold
      // back another tenant's messages claimed in the same batch.
      const groups = byTenant(messages);
      const results: TenantResult[] = [];
      const next = async (): Promise<void> => {
        for (let group = groups.shift(); group !== undefined; group = groups.shift()) results.push(await this.landTenant(group));
      };
      await Promise.all(Array.from({ length: Math.min(this.settings.tenantConcurrency ?? 3, groups.length) }, next));
      const landed = results.flatMap((r) => (r.outcome === null ? [] : [r.outcome]));
      const outcome: BatchOutcome | null =
        landed.length === 0
          ? null
          : {
              done: landed.flatMap((o) => o.done),
              dead: landed.flatMap((o) => o.dead),
              rows: landed.reduce((sum, o) => sum + o.rows, 0),
              tables: landed.reduce((sum, o) => sum + o.tables, 0),
            };
      const error = outcome === null ? (results.find((r) => r.error !== null)?.error ?? null) : null;
      if (error !== null) return { claimed: messages.length, outcome: null, error };
      this.metrics?.batches.inc({ outcome: 'ok' });
      this.metrics?.batchSeconds.observe((performance.now() - started) / 1000);
      this.log.info('batch landed', {
        messages: messages.length,
        tenants: results.length,
        rows: outcome?.rows ?? 0,
        tables: outcome?.tables ?? 0,
        dead: outcome?.dead.length ?? 0,
        ms: Math.round(performance.now() - started),
      });
      this.lastErrorText = null;
      return { claimed: messages.length, outcome, error: null };
    } finally {
      clearInterval(heartbeat);
      this.lastIterationAt = Date.now();
    }
  }

  /** Lands one tenant's messages of a batch and settles them: done, dead, retried, or isolated one by one. */
  private async landTenant(messages: StoredMessage[]): Promise<TenantResult> {
    const state = { writing: false };
    this.inFlight.set(messages, state);
    try {
      const outcome = await this.loader.load(messages, () => {
        state.writing = true;
        return this.confirmLease(messages);
      });
      await settleOutcome(this.settling, messages, outcome);
      return { outcome, error: null };
    } catch (error) {
      if (this.shouldIsolate(messages, error as Error)) {
        this.log.warn('batch failed again; landing its messages one by one to isolate the one that fails', {
          messages: messages.length,
          error: error as Error,
        });
        await this.landOneByOne(messages);
        return { outcome: { done: [], dead: [], rows: 0, tables: 0 }, error: null };
      }
      await returnToQueue(this.settling, messages, error as Error);
      this.failed(error as Error, messages.length);
      return { outcome: null, error: error as Error };
    } finally {
      this.inFlight.delete(messages);
    }
  }

  // A batch that keeps failing for a reason that is not Trino being away may hold one message that makes it
  // fail: after the second failure its messages are landed one at a time, so the rest are not held hostage.
  private shouldIsolate(messages: readonly StoredMessage[], error: Error): boolean {
    return messages.length > 1 && countsAsFailure(error) && messages.some((m) => m.failures >= 2);
  }

  private async landOneByOne(messages: readonly StoredMessage[]): Promise<void> {
    for (const message of messages) {
      try {
        const outcome = await this.loader.load([message], () => this.confirmLease([message]));
        await settleOutcome(this.settling, [message], outcome);
      } catch (error) {
        await returnToQueue(this.settling, [message], error as Error);
        this.failed(error as Error, 1);
      }
    }
  }

  /** Called by the loader right before it writes: the lease must still be ours, or another processor owns the rows. */
  private async confirmLease(messages: readonly StoredMessage[]): Promise<void> {
    const ids = messages.map((m) => m.queueId);
    const held = await this.queue.heartbeat(ids);
    if (held.size < ids.length) throw new LeaseLostError(ids.length - held.size);
  }

  private failed(error: Error, claimed: number): IterationResult {
    const kind = error instanceof WarehouseError ? `warehouse_${error.kind}` : error instanceof LeaseLostError ? 'lease_lost' : 'other';
    this.metrics?.failures.inc({ kind });
    this.metrics?.batches.inc({ outcome: 'failed' });
    this.lastErrorText = error.message;
    this.log.error('batch failed; will retry', { claimed, kind, error });
    return { claimed, outcome: null, error };
  }
}
