// POST /v1/events/ingest: the event envelope with a source-scoped X-API-Key.
import { describe, expect, it } from 'vitest';
import { createKey, query, queueRows, send } from './support.ts';

const event = {
  event_id: 'evt_demo_001',
  event_type: 'payment.failed',
  source_id: 'src_demo',
  environment: 'production',
  severity: 'critical',
  timestamp: '2026-06-01T10:00:00Z',
  payload: { amount: 49.99, currency: 'EUR', reason: 'card_declined' },
};

describe('events endpoint', () => {
  it('stores the event and answers {accepted, event_id, status}', async () => {
    const key = await createKey('source', { sourceId: 'src_demo' });
    const response = await send('/v1/events/ingest', { headers: { 'x-api-key': key.secret }, json: event });
    expect(response.status).toBe(202);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ accepted: true, event_id: 'evt_demo_001', status: 'stored' });
    expect((await queueRows(key.tenant))[0]).toMatchObject({
      endpoint: 'event',
      target_table: 'events',
      payload: event,
      message_id: body['message_id'],
    });
  });

  it('generates an event_id when the producer sends none, and stores it', async () => {
    const key = await createKey('source', { sourceId: 'src_demo' });
    const { event_id: _omitted, ...withoutId } = event;
    const response = await send('/v1/events/ingest', { headers: { 'x-api-key': key.secret }, json: withoutId });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { event_id: string };
    expect(body.event_id).toMatch(/^evt_[0-9a-f-]{36}$/);
    expect(((await queueRows(key.tenant))[0]?.['payload'] as { event_id: string }).event_id).toBe(body.event_id);
  });

  it('stores the event as sent: numbers beyond 2^53 keep every digit, the generated event_id is added', async () => {
    const key = await createKey('source', { sourceId: 'src_demo' });
    const text = '{"event_type":"ledger.posted","source_id":"src_demo","payload":{"cents":9007199254740993,"rate":0.1000000000000000055}}';
    const response = await send('/v1/events/ingest', { headers: { 'x-api-key': key.secret, 'content-type': 'application/json' }, body: text });
    expect(response.status).toBe(202);
    const { event_id } = (await response.json()) as { event_id: string };
    const [row] = await query<{ cents: string; rate: string; event_id: string }>(
      `SELECT payload->'payload'->>'cents' AS cents, payload->'payload'->>'rate' AS rate, payload->>'event_id' AS event_id
         FROM boitata_inbound_queue WHERE tenant_id = $1`,
      [key.tenant],
    );
    expect(row).toEqual({ cents: '9007199254740993', rate: '0.1000000000000000055', event_id });
  });

  it('400 naming each missing or invalid field', async () => {
    const key = await createKey('source', { sourceId: 'src_demo' });
    const response = await send('/v1/events/ingest', {
      headers: { 'x-api-key': key.secret },
      json: { source_id: 'src_demo', severity: 'loud', timestamp: 'yesterday', payload: [1], colour: 'red' },
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { problems: Array<{ path: string }> } };
    expect(error.problems.map((p) => p.path).sort()).toEqual(['$', 'event_type', 'payload', 'severity', 'timestamp']);
    expect(await queueRows(key.tenant)).toHaveLength(0);
  });

  it("403 when source_id is not the key's source", async () => {
    const key = await createKey('source', { sourceId: 'src_demo' });
    const response = await send('/v1/events/ingest', { headers: { 'x-api-key': key.secret }, json: { ...event, source_id: 'src_other' } });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('source_not_allowed');
    expect(await queueRows(key.tenant)).toHaveLength(0);
  });

  it('treats a repeated event_id as a retry: same answer, no second row', async () => {
    const key = await createKey('source', { sourceId: 'src_demo' });
    const first = await send('/v1/events/ingest', { headers: { 'x-api-key': key.secret }, json: event });
    const second = await send('/v1/events/ingest', { headers: { 'x-api-key': key.secret }, json: event });
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    expect(await queueRows(key.tenant)).toHaveLength(1);
  });

  it('401 without X-API-Key or with a metrics key', async () => {
    const metrics = await createKey('metrics');
    expect((await send('/v1/events/ingest', { json: event })).status).toBe(401);
    expect((await send('/v1/events/ingest', { headers: { 'x-api-key': metrics.secret }, json: event })).status).toBe(401);
  });
});
