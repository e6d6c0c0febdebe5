// The requests of one gate waiting for their messages to land (`Prefer: wait=N`), served by one batched poll: while
// any request waits, one statement every POLL_INTERVAL_MS asks for all of their messages at once, so a thousand
// waiting requests cost the database what one does, and none of them holds a connection of its own.
import { MAX_WAIT_SECONDS } from '../../shared/message-status.ts';
import type { TableReceipt } from '../../shared/queue-message.ts';
import type { SettledMessage } from '../queue/settled-messages.ts';

/** How often a gate with waiting requests polls; a landing is seen this much after its commit at worst. */
export const POLL_INTERVAL_MS = 150;
/**
 * Requests one gate (one credential) holds waiting at once. A request past it is answered at once, as without
 * `Prefer: wait` (its 202 has no Preference-Applied): waiting costs the sender nothing it could not do by polling
 * GET /v1/ingest/messages/{id}, and the bound keeps a gate's memory and poll size flat.
 */
export const MAX_WAITERS_PER_GATE = 1_000;
/** One poll's deadline: a database that stops answering delays the next poll by this much at most. */
export const POLL_DEADLINE_MS = 2_000;

export type LandingOutcome =
  | { kind: 'landed'; landedAt: string; landed: TableReceipt[] | null }
  | { kind: 'dead'; code: string; reason: string }
  /** The wait ran out before the message settled. */
  | { kind: 'timeout' }
  /** The gate already holds MAX_WAITERS_PER_GATE waiting requests: not waited for. */
  | { kind: 'busy' };

/** Reads which of these messages have settled; rejects when the database cannot answer (the watch polls again). */
export type SettledReader = (messageIds: readonly string[], deadlineAt: number) => Promise<SettledMessage[]>;

interface Waiter {
  resolve(outcome: LandingOutcome): void;
}

export interface LandingWatchOptions {
  pollIntervalMs?: number;
  maxWaiters?: number;
  /** Called when a poll fails, at most once per failing streak (the operator gets one line, not seven a second). */
  onPollFailure?(error: unknown): void;
}

export class LandingWatch {
  /** Several requests may await the same message (an Idempotency-Key replayed while the first one waits). */
  private readonly waiting = new Map<string, Set<Waiter>>();
  private count = 0;
  private polling = false;
  private failing = false;
  private readonly read: SettledReader;
  private readonly pollIntervalMs: number;
  private readonly maxWaiters: number;
  private readonly onPollFailure: (error: unknown) => void;

  constructor(read: SettledReader, options: LandingWatchOptions = {}) {
    this.read = read;
    this.pollIntervalMs = options.pollIntervalMs ?? POLL_INTERVAL_MS;
    this.maxWaiters = options.maxWaiters ?? MAX_WAITERS_PER_GATE;
    this.onPollFailure = options.onPollFailure ?? (() => undefined);
  }

  /** Requests waiting now. */
  get size(): number {
    return this.count;
  }

  /** Resolves when the message lands or dies, or after `waitMs` (at most MAX_WAIT_SECONDS); never rejects. */
  wait(messageId: string, waitMs: number): Promise<LandingOutcome> {
    if (this.count >= this.maxWaiters) return Promise.resolve({ kind: 'busy' });
    const ms = Math.max(0, Math.min(waitMs, MAX_WAIT_SECONDS * 1000));
    return new Promise((resolve) => {
      let waiters = this.waiting.get(messageId);
      if (waiters === undefined) this.waiting.set(messageId, (waiters = new Set()));
      const waiter: Waiter = {
        resolve: (outcome) => {
          clearTimeout(timer);
          if (!this.forget(messageId, waiter)) return;
          resolve(outcome);
        },
      };
      const timer = setTimeout(() => waiter.resolve({ kind: 'timeout' }), ms);
      waiters.add(waiter);
      this.count++;
      if (!this.polling) void this.pollWhileWaiting();
    });
  }

  /** False when the waiter was already answered (its timer and a poll raced). */
  private forget(messageId: string, waiter: Waiter): boolean {
    const waiters = this.waiting.get(messageId);
    if (waiters === undefined || !waiters.delete(waiter)) return false;
    if (waiters.size === 0) this.waiting.delete(messageId);
    this.count--;
    return true;
  }

  // One poll at a time, the first at once (a replayed message may have landed long ago) — after the requests that
  // arrived with this one have joined — then one per interval until no request waits. `polling` is set and cleared
  // with no await between the check and the change, so a request that arrives as the loop ends starts a new one.
  private async pollWhileWaiting(): Promise<void> {
    this.polling = true;
    try {
      await new Promise((resolve) => setTimeout(resolve, 0));
      while (this.count > 0) {
        const started = Date.now();
        await this.pollOnce();
        if (this.count === 0) break;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.pollIntervalMs - (Date.now() - started))));
      }
    } finally {
      this.polling = false;
    }
  }

  private async pollOnce(): Promise<void> {
    let settled: SettledMessage[];
    try {
      settled = await this.read([...this.waiting.keys()], Date.now() + POLL_DEADLINE_MS);
    } catch (error) {
      // The waiters keep waiting: the next poll may answer, and their own timers answer them 202 if none does.
      if (!this.failing) this.onPollFailure(error);
      this.failing = true;
      return;
    }
    this.failing = false;
    for (const message of settled) {
      const outcome: LandingOutcome =
        message.state === 'landed'
          ? { kind: 'landed', landedAt: message.landedAt, landed: message.landed }
          : { kind: 'dead', code: message.code, reason: message.reason };
      for (const waiter of [...(this.waiting.get(message.messageId) ?? [])]) waiter.resolve(outcome);
    }
  }
}
