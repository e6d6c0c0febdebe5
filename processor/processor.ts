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
  /**
   * Set (PROCESSOR_COMMIT_INTERVAL_MS; main.ts wakes the loop on arrivals): the least time between the starts of two
   * claims of this process (all lanes), so a table gets at most one commit per interval however often notify() is
   * called, and a batch that took messages is followed by another claim an interval later (a cap may have left
   * some behind); a claim right after a full batch is exempt (a backlog drains at full speed). Unset: the poll alone
   * paces the claims, as before arrivals woke the processor.
   */
  commitIntervalMs?: number;
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
  // notify() said messages arrived and no claim has started since: the next lane to wait claims instead.
  private arrived = false;
  // Lanes waiting for their next poll (notify() wakes the first), and lanes past that wait, about to claim.
  private readonly waiting = new Set<() => void>();
  private aboutToClaim = 0;
  // The earliest the next claim may start (commitIntervalMs after the last one), reserved by the lane that takes it.
  private nextClaimAt = 0;
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
   * Runs until stop(). A lane claims when messages arrive (notify()), at the latest every poll interval, and at
   * once after a full batch. The claims of this process start at least `commitIntervalMs` apart (the claim after
   * a full batch excepted), so a burst of requests becomes a few large commits per table, not one per request;
   * while claims keep taking messages, one follows the other an interval apart (or when a lane is free).
   * With two lanes (the default) one batch is claimed and prepared while the other is written; the lanes poll
   * half an interval apart, so without notifications a message waits at most about half an interval.
   */
  async run(): Promise<void> {
    const lanes = Math.max(1, this.settings.lanes ?? 2);
    await Promise.all(Array.from({ length: lanes }, (_, lane) => this.lane((this.settings.pollIntervalMs * lane) / lanes)));
  }

  /** Messages arrived (a LISTEN notification): a waiting lane claims as soon as the commit interval allows. */
  notify(): void {
    if (this.stopping) return;
    this.arrived = true;
    // A lane already on its way to a claim will see these messages: waking another would only claim nothing.
    if (this.aboutToClaim > 0) return;
    const [first] = this.waiting;
    if (first === undefined) return;
    this.aboutToClaim++; // counted now: a second notification of the same tick must not wake another lane
    first();
  }

  private async lane(firstWaitMs: number): Promise<void> {
    let failures = 0;
    let full = false;
    let waitMs = firstWaitMs;
    while (!this.stopping) {
      // After a full batch the next claim follows at once (a backlog drains at full speed, unspaced); after a
      // failure the lane backs off, arrivals or not.
      const woken = !full && waitMs > 0 ? await this.waitForPollOrArrival(waitMs, failures === 0) : false;
      if (this.stopping) break;
      const at = await this.claimTurn(!full, woken);
      if (this.stopping) break;
      const started = Date.now();
      const result = await this.runOnce();
      // An empty poll gives its turn back (the next arrival is claimed at once); an empty wake-up keeps it, so the
      // notifications of messages this processor does not take (another's, another tenant's) wake it once per interval.
      if (result.claimed === 0 && !woken) this.returnTurn(at);
      failures = result.error === null ? 0 : failures + 1;
      full = result.error === null && result.claimed >= this.settings.batchSize;
      // A batch stopped by its row or byte cap is not "full" by count, yet left messages behind: with a commit
      // interval the next claim comes after it (claimTurn), not after a poll interval.
      const more = result.error === null && result.claimed > 0 && this.settings.commitIntervalMs !== undefined;
      // Polls start every interval (not an interval after the last batch ended), so a batch that took 2 s is
      // followed by the next poll 1 s later; failures back off exponentially up to a minute.
      waitMs = more
        ? 0
        : failures === 0
          ? this.settings.pollIntervalMs - (Date.now() - started)
          : Math.min(this.settings.pollIntervalMs * 2 ** Math.min(failures, 6), 60_000);
    }
  }

  /** Sleeps up to `ms`; when `wakeable`, notify() may end it early (then it answers true). stop() always ends it. */
  private waitForPollOrArrival(ms: number, wakeable: boolean): Promise<boolean> {
    if (wakeable && this.arrived && this.aboutToClaim === 0) {
      this.aboutToClaim++;
      return Promise.resolve(true);
    }
    const signal = this.wake.signal;
    return new Promise((resolve) => {
      const done = (woken: boolean): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', stopped);
        this.waiting.delete(arrival);
        resolve(woken);
      };
      const arrival = () => done(true);
      const stopped = () => done(false);
      const timer = setTimeout(stopped, ms);
      signal.addEventListener('abort', stopped, { once: true });
      if (wakeable) this.waiting.add(arrival);
      if (signal.aborted) stopped();
    });
  }

  /**
   * Waits until this lane may claim: `commitIntervalMs` after the previous claim started (unless `spaced` is
   * false: the claim after a full batch), reserving that moment so the other lanes keep their distance too.
   * `counted`: notify() (or the wait) already counted this lane as about to claim.
   */
  private async claimTurn(spaced: boolean, counted: boolean): Promise<number> {
    const interval = this.settings.commitIntervalMs ?? 0;
    const at = spaced ? Math.max(Date.now(), this.nextClaimAt) : Date.now();
    this.nextClaimAt = Math.max(this.nextClaimAt, at + interval);
    if (!counted) this.aboutToClaim++;
    try {
      const wait = at - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: this.wake.signal }).catch(() => undefined);
    } finally {
      this.aboutToClaim--;
    }
    // The claim starts after this, so it sees every message whose notification came before: those are answered.
    this.arrived = false;
    return at;
  }

  /** A poll that took nothing committed nothing: the next claim need not keep its distance from it. */
  private returnTurn(at: number): void {
    if (this.nextClaimAt === at + (this.settings.commitIntervalMs ?? 0)) this.nextClaimAt = at;
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
              landed: new Map(landed.flatMap((o) => [...o.landed])),
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
        return { outcome: { done: [], landed: new Map(), dead: [], rows: 0, tables: 0 }, error: null };
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
