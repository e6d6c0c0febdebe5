// The answer to an ingest request that sent `Prefer: wait=N`: once the message is stored (or its Idempotency-Key
// replayed), the gate holds the answer until the message has landed — 200 with the landed receipt — or N seconds
// have passed — the usual 202. Both say `Preference-Applied: wait=N`.
import type { IngestReceipt, Receipt } from '../../shared/queue-message.ts';
import type { EnqueueOutcome, Gate, IngestDecision } from '../gate/gate-protocol.ts';
import type { LandingOutcome } from '../gate/landing-watch.ts';
import { preferredWaitSeconds } from '../http/prefer-wait.ts';
import { answer, settle } from './gate-answer.ts';

/** A sender's `wait` preference, counted from when its request arrived. */
export interface LandingWait {
  seconds: number;
  startedAt: number;
}

export function landingWaitOf(preferHeader: string | undefined, now = Date.now()): LandingWait | undefined {
  const seconds = preferredWaitSeconds(preferHeader);
  return seconds === undefined ? undefined : { seconds, startedAt: now };
}

/** settle(), waiting for the landing when the sender asked to: a refusal is thrown at once, as settle() does. */
export async function settleWaiting(
  gate: Gate,
  decision: IngestDecision | EnqueueOutcome,
  headers: Record<string, string>,
  wait: LandingWait | undefined,
): Promise<Response> {
  if (wait === undefined || decision.kind === 'reject') return settle(decision, headers);
  const [body, replayed] = decision.kind === 'replay' ? [decision.response.body, true] : [decision.body, decision.replayed];
  const receipt = JSON.parse(body) as Receipt;
  const applied = { ...headers, 'Preference-Applied': `wait=${wait.seconds}` };
  // A delivery stored dead on arrival has settled already: there is nothing to wait for.
  if ('tables' in receipt && receipt.status === 'dead_lettered') return answer(body, replayed, applied);
  const waitMs = wait.seconds * 1000 - (Date.now() - wait.startedAt);
  if (waitMs <= 0) return answer(body, replayed, applied);
  let outcome: LandingOutcome;
  try {
    outcome = await gate.awaitLanding(receipt.message_id, waitMs);
  } catch {
    // The message is stored whatever happened to the wait (a gate reset mid-wait): that is the answer.
    return answer(body, replayed, headers);
  }
  switch (outcome.kind) {
    case 'landed':
      return answer(JSON.stringify(landedReceipt(receipt, outcome)), replayed, applied, 200);
    case 'dead':
      return answer(JSON.stringify(deadReceipt(receipt, outcome)), replayed, applied);
    case 'timeout':
      return answer(body, replayed, applied);
    case 'busy':
      return answer(body, replayed, headers);
  }
}

/** Push, webhook and metrics: the receipt with what landed and when; events: seed 002's body, `status: 'landed'`. */
export function landedReceipt(receipt: Receipt, landing: Extract<LandingOutcome, { kind: 'landed' }>): Receipt {
  if (!('tables' in receipt)) return { ...receipt, status: 'landed' };
  return { ...receipt, status: 'landed', landed_at: landing.landedAt, landed: landing.landed };
}

/**
 * A message that died while its sender waited is answered at once, not after N seconds: push, webhook and metrics
 * with the dead-lettered receipt a signed delivery already gets (the reason with its values redacted); an event with
 * seed 002's 202 as it is (that body has no place for a reason: GET the message's status for it).
 */
export function deadReceipt(receipt: Receipt, dead: Extract<LandingOutcome, { kind: 'dead' }>): Receipt {
  if (!('tables' in receipt)) return receipt;
  const deadLettered: IngestReceipt = { ...receipt, status: 'dead_lettered', error: { code: dead.code, message: dead.reason } };
  return deadLettered;
}
