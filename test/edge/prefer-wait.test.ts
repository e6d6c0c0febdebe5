// `Prefer: wait=N` on the four ingest endpoints in real workerd: the answer waits while the real processor lands the
// message concurrently (200 with the landed receipt), or until N seconds pass (the usual 202), both saying
// Preference-Applied; a replayed Idempotency-Key waits too; a message that dies is answered at once.
import { describe, expect, it } from 'vitest';
import { cases, deliver } from './provider-webhook-cases.ts';
import { createConnection, createKey, landMessages, pushPath, send, untilStored, type ConnectionFixture } from './support.ts';

interface Timed {
  response: Response;
  body: Record<string, unknown>;
  ms: number;
}

async function timed(request: Promise<Response>): Promise<Timed> {
  const started = Date.now();
  const response = await request;
  const body = (await response.json()) as Record<string, unknown>;
  return { response, body, ms: Date.now() - started };
}

/** Sends the request and, once its message is stored, lands the tenant's messages with the real processor. */
async function landedWhileWaiting(tenant: string, request: Promise<Response>, stored = 1): Promise<Timed> {
  const [answer] = await Promise.all([
    timed(request),
    (async () => {
      await untilStored(tenant, stored);
      await landMessages(tenant);
    })(),
  ]);
  return answer;
}

const push = (conn: ConnectionFixture, headers: Record<string, string>, body: unknown = [{ id: 1 }, { id: 2 }]) =>
  send(pushPath(conn.token, '?table=orders'), { headers: { 'x-tenant-id': conn.tenant, ...headers }, json: body });

describe('Prefer: wait=N', () => {
  it('push: 200 with the landed receipt once a processor lands it, well within N', async () => {
    const conn = await createConnection();
    const { response, body, ms } = await landedWhileWaiting(conn.tenant, push(conn, { prefer: 'wait=25' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=25');
    expect(response.headers.get('ratelimit-limit')).not.toBeNull();
    expect(body).toMatchObject({ status: 'landed', tables: [{ table: 'orders', rows: 2 }], rows: 2, landed: [{ table: 'orders', rows: 2 }] });
    expect(Date.parse(String(body['landed_at']))).toBeGreaterThan(Date.now() - 60_000);
    expect(ms).toBeLessThan(25_000);
  });

  it("a provider's signed delivery to the push URL: 200 landed", async () => {
    const stripe = cases.find((c) => c.preset === 'stripe')!;
    const conn = await createConnection({ verify: { preset: stripe.preset, signingSecret: stripe.secret } });
    const d = stripe.delivery();
    const { response, body } = await landedWhileWaiting(conn.tenant, deliver(conn, stripe, d, { extra: { prefer: 'wait=20' } }));
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=20');
    expect(body).toMatchObject({ status: 'landed', tables: [{ table: d.table, rows: 1 }], landed: [{ table: d.table, rows: 1 }] });
  });

  it('webhook: the usual 202 when N seconds pass first, with Preference-Applied', async () => {
    const conn = await createConnection();
    const { response, body, ms } = await timed(
      send('/api/webhook/sales', { headers: { authorization: `Bearer ${conn.token}`, prefer: 'respond-async, wait=1' }, json: { region: 'North' } }),
    );
    expect(response.status).toBe(202);
    expect(response.headers.get('preference-applied')).toBe('wait=1');
    expect(body).toMatchObject({ status: 'queued', tables: [{ table: 'sales', rows: 1 }] });
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(1_000 + 2_500);
  });

  it('metrics: 200 landed', async () => {
    const key = await createKey('metrics');
    const request = send('/v1/ingest/metrics', {
      headers: { authorization: `Bearer ${key.secret}`, prefer: 'wait=20' },
      json: { table: 'cpu', rows: [{ date: '2026-06-12', metric_name: 'cpu_usage', value: 45.2 }] },
    });
    const { response, body } = await landedWhileWaiting(key.tenant, request);
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=20');
    expect(body).toMatchObject({ status: 'landed', tables: [{ table: 'cpu', rows: 1 }], landed: [{ table: 'cpu', rows: 1 }] });
  });

  it("events: seed 002's body with status landed", async () => {
    const key = await createKey('source', { sourceId: 'src_wait' });
    const request = send('/v1/events/ingest', {
      headers: { 'x-api-key': key.secret, prefer: 'wait=20' },
      json: { event_id: 'evt_wait_1', event_type: 'payment.failed', source_id: 'src_wait', payload: { amount: 1 } },
    });
    const { response, body } = await landedWhileWaiting(key.tenant, request);
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=20');
    expect(Object.keys(body).sort()).toEqual(['accepted', 'event_id', 'message_id', 'status']);
    expect(body).toMatchObject({ accepted: true, event_id: 'evt_wait_1', status: 'landed' });
  });

  it('a replayed Idempotency-Key waits too, and a landed one is answered at once', async () => {
    const conn = await createConnection();
    const first = await push(conn, { 'idempotency-key': 'wait-replay' });
    expect(first.status).toBe(202);
    const { message_id } = (await first.json()) as { message_id: string };

    const waiting = await landedWhileWaiting(conn.tenant, push(conn, { 'idempotency-key': 'wait-replay', prefer: 'wait=20' }));
    expect(waiting.response.status).toBe(200);
    expect(waiting.response.headers.get('idempotent-replayed')).toBe('true');
    expect(waiting.body).toMatchObject({ message_id, status: 'landed' });

    const again = await timed(push(conn, { 'idempotency-key': 'wait-replay', prefer: 'wait=20' }));
    expect(again.response.status).toBe(200);
    expect(again.body).toEqual(waiting.body);
    expect(again.ms).toBeLessThan(2_000);
  });

  it('N above 30 waits 30 at most; a malformed wait is ignored (RFC 7240)', async () => {
    const conn = await createConnection();
    const capped = await landedWhileWaiting(conn.tenant, push(conn, { prefer: 'wait=3600' }));
    expect(capped.response.status).toBe(200);
    expect(capped.response.headers.get('preference-applied')).toBe('wait=30');

    for (const prefer of ['wait=soon', 'wait=-1', 'wait=1.5', 'wait', 'handling=lenient']) {
      const ignored = await timed(push(conn, { prefer }));
      expect(ignored.response.status, prefer).toBe(202);
      expect(ignored.response.headers.get('preference-applied'), prefer).toBeNull();
      expect(ignored.ms, prefer).toBeLessThan(2_000);
    }
  });

  it('a message that dies while its sender waits is answered at once: 202 dead_lettered, the reason redacted', async () => {
    const conn = await createConnection();
    const item = (sku: unknown) => send('/api/webhook/items', { headers: { authorization: `Bearer ${conn.token}`, 'x-item-key': 'sku' }, json: { sku } });
    expect((await item(1)).status).toBe(202);
    await landMessages(conn.tenant);
    const request = send('/api/webhook/items', {
      headers: { authorization: `Bearer ${conn.token}`, 'x-item-key': 'sku', prefer: 'wait=25' },
      json: { sku: 'jane.doe@example.com' },
    });
    const { response, body, ms } = await landedWhileWaiting(conn.tenant, request, 2);
    expect(response.status).toBe(202);
    expect(response.headers.get('preference-applied')).toBe('wait=25');
    expect(body).toMatchObject({ status: 'dead_lettered', error: { code: 'item_key_unusable' } });
    expect(JSON.stringify(body)).not.toContain('jane');
    expect(ms).toBeLessThan(25_000);
  });

  it('many requests waiting on one gate are all answered by the landing', async () => {
    const conn = await createConnection({ rateLimitPerMinute: 1000 });
    const requests = Array.from({ length: 20 }, (_, i) => push(conn, { prefer: 'wait=25' }, [{ id: i }]));
    const [answers] = await Promise.all([
      Promise.all(requests.map((request) => timed(request))),
      (async () => {
        await untilStored(conn.tenant, 20);
        await landMessages(conn.tenant);
      })(),
    ]);
    expect(answers.map((answer) => answer.response.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(new Set(answers.map((answer) => answer.body['message_id'])).size).toBe(20);
  });
});
