// What becomes of a batch's messages after a landing attempt: done and dead ones settled, failed ones back to the
// queue with backoff (or dead-lettered once their attempts are spent), and which failures count towards that.
import type { BatchOutcome } from './batch-loader.ts';
import type { Logger } from './logger.ts';
import type { ProcessorMetrics } from './metrics.ts';
import type { QueueStore } from './queue/queue-store.ts';
import type { StoredMessage } from './queue/stored-message.ts';
import { WarehouseError } from './warehouse/warehouse.ts';

export interface Settling {
  queue: QueueStore;
  log: Logger;
  metrics: ProcessorMetrics | null;
  maxAttempts: number;
  maxBackoffSeconds: number;
}

export class LeaseLostError extends Error {
  constructor(count: number) {
    super(`${count} message(s) of this batch were claimed by another processor after the lease expired; not writing them`);
    this.name = 'LeaseLostError';
  }
}

/** Dead letters written, the landed messages acknowledged, their freshness and counts measured. */
export async function settleOutcome(settling: Settling, messages: readonly StoredMessage[], outcome: BatchOutcome): Promise<void> {
  const { queue, log, metrics } = settling;
  for (const dead of outcome.dead) {
    await queue.deadLetter(dead.queueId, dead.code, dead.reason);
    log.warn('message dead-lettered', { queue_id: dead.queueId, code: dead.code, reason: dead.reason });
  }
  await queue.acknowledge(outcome.done, outcome.landed);
  const now = Date.now();
  const received = new Map(messages.map((m) => [m.queueId, Date.parse(m.receivedAt)]));
  for (const id of outcome.done) metrics?.freshnessSeconds.observe((now - (received.get(id) ?? now)) / 1000);
  metrics?.rows.inc(outcome.rows);
  metrics?.messages.inc({ outcome: 'done' }, outcome.done.length);
  metrics?.messages.inc({ outcome: 'dead' }, outcome.dead.length);
}

// A failed batch goes back to the queue with exponential backoff; a message that keeps failing for a
// reason other than the warehouse being unreachable is dead-lettered after maxAttempts.
export async function returnToQueue(settling: Settling, messages: readonly StoredMessage[], error: Error): Promise<void> {
  const { queue } = settling;
  if (error instanceof LeaseLostError) {
    await queue
      .retryLater(
        messages.map((m) => m.queueId),
        error.message,
        0,
        false,
      )
      .catch(() => undefined);
    return;
  }
  if (error instanceof WarehouseError && error.errorName === 'OUTCOME_UNKNOWN') {
    // A write may still commit: the messages stay claimed until their lease expires (no heartbeat now).
    return;
  }
  const counts = countsAsFailure(error);
  const exhausted = counts ? messages.filter((m) => m.failures + 1 >= settling.maxAttempts) : [];
  const again = messages.filter((m) => !exhausted.includes(m));
  const failures = Math.min(...again.map((m) => m.failures + 1), 30);
  const delay = Math.min(2 ** Math.max(failures - 1, 0), settling.maxBackoffSeconds);
  try {
    for (const m of exhausted) await queue.deadLetter(m.queueId, 'retries_exhausted', `failed ${m.failures + 1} times; last error: ${error.message}`);
    await queue.retryLater(
      again.map((m) => m.queueId),
      error.message.slice(0, 2000),
      delay,
      counts,
    );
  } catch (settleError) {
    // The leases expire on their own: the messages come back after PROCESSOR_LEASE_SECONDS.
    settling.log.error('could not return a failed batch to the queue', { error: settleError as Error });
  }
}

/**
 * The warehouse being away is not the messages' fault: Trino down, starting or unreachable, an outcome it could
 * not tell, the DuckDB file held by another process or not there yet. Such failures do not count towards
 * maxAttempts (nothing is dead-lettered for them) and do not make a batch land message by message.
 */
const WAREHOUSE_AWAY = new Set(['TRINO_UNREACHABLE', 'SERVER_STARTING_UP', 'OUTCOME_UNKNOWN', 'WAREHOUSE_LOCKED', 'WAREHOUSE_MISSING']);

export function countsAsFailure(error: Error): boolean {
  if (error instanceof LeaseLostError) return false;
  return !(error instanceof WarehouseError && WAREHOUSE_AWAY.has(error.errorName));
}

/** A batch's messages by tenant, each tenant's in claim order. */
export function byTenant(messages: readonly StoredMessage[]): StoredMessage[][] {
  const groups = new Map<string, StoredMessage[]>();
  for (const message of messages) {
    let group = groups.get(message.tenantId);
    if (group === undefined) groups.set(message.tenantId, (group = []));
    group.push(message);
  }
  return [...groups.values()];
}
