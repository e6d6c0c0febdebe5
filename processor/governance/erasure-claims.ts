// The claims an erasure waits out: a tenant's messages a processor was landing when the queue was scrubbed are loaded
// from the processor's own copy of the payload, so their rows may still land the value. The erasure deletes in the
// warehouse only once each such claim has ended — acknowledged, handed back, or its lease run out by 30 s.
import type pg from 'pg';

type Db = Pick<pg.ClientBase, 'query'>;

/** A claim: the message's queue id and its attempt count then (a new claim of it counts one more). */
export interface HeldClaim {
  id: string;
  attempts: number;
}

/** The tenant's messages being landed now. */
export async function claimsInFlight(db: Db, tenantId: string): Promise<HeldClaim[]> {
  const { rows } = await db.query<HeldClaim>(`SELECT id::text, attempts FROM boitata_inbound_queue WHERE tenant_id = $1 AND status = 'processing'`, [tenantId]);
  return rows;
}

/** Past its lease by this much, a claim's processor is taken for dead (the same margin the status page allows). */
const GRACE_SECONDS = 30;
const POLL_MS = 250;

/**
 * Waits until none of `held` is still under the same claim, or its lease has run out by 30 s. Bounded: a processor
 * heartbeats its lease while it works, so the wait ends at most the longest lease left at the start + 30 s after it
 * began (PROCESSOR_LEASE_SECONDS + 30 s at most). Returns how many were still held at the end (0 normally).
 */
export async function waitForClaims(db: Db, held: readonly HeldClaim[], onWait: (left: number) => void = () => undefined): Promise<number> {
  let deadline: number | null = null;
  for (;;) {
    const { rows } = await db.query<{ held: number; live: number; lease_left: number | null }>(
      `SELECT count(*)::int AS held,
              count(*) FILTER (WHERE q.lease_expires_at + make_interval(secs => ${GRACE_SECONDS}) > clock_timestamp())::int AS live,
              extract(epoch FROM max(q.lease_expires_at) - clock_timestamp())::float8 AS lease_left
         FROM boitata_inbound_queue q JOIN unnest($1::bigint[], $2::int[]) AS h (id, attempts) ON q.id = h.id
        WHERE q.status = 'processing' AND q.attempts = h.attempts`,
      [held.map((h) => h.id), held.map((h) => h.attempts)],
    );
    const { held: left, live, lease_left: leaseLeft } = rows[0]!;
    deadline ??= Date.now() + (Math.max(0, leaseLeft ?? 0) + GRACE_SECONDS) * 1000;
    onWait(left);
    if (left === 0) return 0;
    if (live === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
