// The claim against the real Postgres queue: round robin across tenants, row/byte caps, the per-tenant in-flight
// limit, messages too large to read, and crash isolation (leases that run out without settling).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { addConnection } from '../../../cli/connections.ts';
import { DEFAULT_CLAIM_LIMITS, QueueStore, type ClaimLimits } from '../../../processor/queue/queue-store.ts';
import { db, newTenant } from './support.ts';

afterAll(() => db.end());

const limits = (overrides: Partial<ClaimLimits> = {}): ClaimLimits => ({ ...DEFAULT_CLAIM_LIMITS, messages: 500, ...overrides });

/** Inserts messages as an edge would (payload_bytes NULL: as an older edge wrote them); returns their queue ids in order. */
async function enqueue(tenant: string, count: number, options: { rows?: number; payload?: string; bytes?: number } = {}): Promise<string[]> {
  const { connection } = await addConnection(db, { tenant, name: `c-${randomUUID().slice(0, 8)}` });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const rows = options.rows ?? 1;
    const payload = options.payload ?? JSON.stringify([{ i }]);
    const messageId = randomUUID();
    const { rows: inserted } = await db.query<{ id: string }>(
      `INSERT INTO boitata_inbound_queue (message_id, tenant_id, connection_id, endpoint, payload_format, target_table, payload, row_count, receipt, idempotency_scope, payload_bytes)
       VALUES ($1, $2, $3, 'push', 'array', 'events', $4, $5, $6, $3, $7) RETURNING id::text`,
      [messageId, tenant, connection.id, payload, rows, JSON.stringify({ message_id: messageId }), options.bytes ?? null],
    );
    ids.push(inserted[0]!.id);
  }
  return ids;
}

const store = (tenants: string[], leaseSeconds = 60) => new QueueStore(db, `claim-test-${randomUUID().slice(0, 8)}`, leaseSeconds, tenants);
const idsOf = (batch: { messages: Array<{ queueId: string }> }) => batch.messages.map((m) => m.queueId);

describe('fair, bounded claims', () => {
  it("takes every tenant's oldest message first: a backlog does not stand in front of another tenant", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const backlog = await enqueue(a, 30);
    const [canary] = await enqueue(b, 1);
    const batch = await store([a, b]).claimBatch(limits({ messages: 5 }));
    expect(idsOf(batch)).toContain(canary);
    expect(idsOf(batch).filter((id) => backlog.includes(id))).toEqual(backlog.slice(0, 4));
  });

  it('stops at the row and byte caps, and takes a message larger than the caps alone', async () => {
    const a = await newTenant();
    const [huge, ...rest] = await enqueue(a, 1, { rows: 349_524 }).then(async (h) => [...h, ...(await enqueue(a, 6, { rows: 5_000 }))]);
    const queue = store([a]);
    expect(idsOf(await queue.claimBatch(limits({ rows: 20_000 })))).toEqual([huge]);
    // The huge one is in flight: 349,524 rows leave this tenant no room until it lands.
    expect(idsOf(await store([a]).claimBatch(limits({ rows: 20_000 })))).toEqual([]);
    await queue.acknowledge([huge!]);
    expect(idsOf(await queue.claimBatch(limits({ rows: 12_000 })))).toEqual(rest.slice(0, 2));
  });

  it('counts the bytes the edge measured (payload_bytes) against the byte cap', async () => {
    const a = await newTenant();
    const ids = await enqueue(a, 5, { bytes: 1_000_000 });
    expect(idsOf(await store([a]).claimBatch(limits({ bytes: 2_500_000 })))).toEqual(ids.slice(0, 2));
  });

  it('leaves a tenant with rows in flight to wait, so the other lanes serve other tenants', async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const aIds = await enqueue(a, 4, { rows: 10_000 });
    const [bId] = await enqueue(b, 1);
    const first = store([a, b]);
    // A's first and B's first; A's second would pass the batch's 20,000 rows.
    expect(idsOf(await first.claimBatch(limits({ rows: 20_000, tenantInFlightRows: 20_000 })))).toEqual([aIds[0], bId]);
    // A has 10,000 rows in flight: another lane may take 10,000 more of A's, and then A waits.
    expect(idsOf(await store([a, b]).claimBatch(limits({ rows: 20_000, tenantInFlightRows: 20_000 })))).toEqual([aIds[1]]);
    expect(idsOf(await store([a, b]).claimBatch(limits({ rows: 20_000, tenantInFlightRows: 20_000 })))).toEqual([]);
  });

  it('dead-letters a message whose JSON reads back larger than the limit, unread (1e-400 written out in full)', async () => {
    const a = await newTenant();
    const numbers = `[{"v":[${Array.from({ length: 5_000 }, () => '1e-400').join(',')}]}]`;
    const [big] = await enqueue(a, 1, { payload: numbers });
    const [small] = await enqueue(a, 1);
    const batch = await store([a]).claimBatch(limits({ messageTextBytes: 1_048_576 }));
    expect(idsOf(batch)).toEqual([small]);
    expect(batch.deadLettered).toEqual([expect.objectContaining({ queueId: big, code: 'message_too_large' })]);
    const { rows } = await db.query('SELECT error_code, reason FROM boitata_dead_letters WHERE queue_id = $1', [big]);
    expect(rows[0].error_code).toBe('message_too_large');
    expect(rows[0].reason).toMatch(/over the 1048576-byte limit/);
  });
});

describe('crash isolation', () => {
  it('after two lease expiries a batch is retried one message at a time; a message whose solo claims die twice is dead-lettered processing_crashed, the others are not penalized', async () => {
    const a = await newTenant();
    const ids = await enqueue(a, 3);
    const [poison] = ids;
    const lease = 1;
    const claim = async () => {
      const batch = await store([a], lease).claimBatch(limits());
      return batch;
    };
    const expire = () => sleep(lease * 1000 + 150);

    // Two claims of the whole batch die (nothing settles them).
    expect(idsOf(await claim())).toEqual(ids);
    await expire();
    expect(idsOf(await claim())).toEqual(ids);
    await expire();
    // Now each message is claimed alone, oldest first.
    const solo = store([a], lease);
    expect(idsOf(await solo.claimBatch(limits()))).toEqual([poison]);
    await expire(); // the poison kills its processor again
    // The messages that merely shared its batches go alone too (their leases ran out earlier), and land.
    for (const id of [ids[1], ids[2]]) {
      const alone = store([a], lease);
      expect(idsOf(await alone.claimBatch(limits()))).toEqual([id]);
      await alone.acknowledge([id!]);
    }
    expect(idsOf(await store([a], lease).claimBatch(limits()))).toEqual([poison]); // its second solo claim
    await expire();
    const batch = await store([a], lease).claimBatch(limits());
    expect(batch.deadLettered).toEqual([expect.objectContaining({ queueId: poison, code: 'processing_crashed' })]);
    expect(idsOf(batch)).toEqual([]);

    const { rows } = await db.query<{ id: string; status: string }>('SELECT id::text, status FROM boitata_inbound_queue WHERE tenant_id = $1 ORDER BY id', [a]);
    expect(rows).toEqual([
      { id: poison, status: 'dead' },
      { id: ids[1], status: 'done' },
      { id: ids[2], status: 'done' },
    ]);
    const dead = await db.query('SELECT error_code FROM boitata_dead_letters WHERE tenant_id = $1', [a]);
    expect(dead.rows).toEqual([{ error_code: 'processing_crashed' }]);
  });
});

// The claim of processors older than migration 0006, verbatim: during a rolling deploy it still runs.
const CLAIM_BEFORE_0006 = `
WITH next AS (
  SELECT id FROM boitata_inbound_queue
   WHERE status IN ('pending', 'processing') AND available_at <= clock_timestamp()
     AND ($4::text[] IS NULL OR tenant_id = ANY($4::text[]))
   ORDER BY available_at, id
   LIMIT $1
   FOR UPDATE SKIP LOCKED
)
UPDATE boitata_inbound_queue q
   SET status = 'processing', lease_owner = $2, attempts = q.attempts + 1,
       lease_expires_at = clock_timestamp() + make_interval(secs => $3),
       available_at = clock_timestamp() + make_interval(secs => $3)
  FROM next
 WHERE q.id = next.id
RETURNING q.id::text AS queue_id, q.payload`;

describe('version skew (edge and processors deploy separately; migrations first)', () => {
  it('an older processor claims what a new edge wrote (payload_bytes set), and a new processor what an older edge wrote (NULL)', async () => {
    const a = await newTenant();
    const [fromNewEdge] = await enqueue(a, 1, { bytes: 9 });
    const [fromOldEdge] = await enqueue(a, 1);
    const old = await db.query<{ queue_id: string; payload: unknown }>(CLAIM_BEFORE_0006, [1, 'old-processor', 60, [a]]);
    expect(old.rows).toEqual([{ queue_id: fromNewEdge, payload: [{ i: 0 }] }]);
    const batch = await store([a]).claimBatch(limits());
    expect(idsOf(batch)).toEqual([fromOldEdge]);
    expect(batch.messages[0]!.payload).toEqual([{ i: 0 }]);
  });
});
