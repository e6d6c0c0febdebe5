// GET /v1/ingest/messages/{message_id} in real workerd against the real queue, with messages landed, held in flight
// and dead-lettered by the real processor: each state, each credential kind, the one 404 for every id a credential
// may not see, a rotation successor, the rate limit and a database that is down.
import { describe, expect, it } from 'vitest';
import { runInDurableObject } from 'cloudflare:test';
import { sha256Hex } from '../../edge/auth/secrets.ts';
import type { CredentialGate } from '../../edge/gate/credential-gate.ts';
import { messageStatusSchema, type MessageStatus } from '../../shared/message-status.ts';
import {
  claimMessages,
  createConnection,
  createKey,
  landMessages,
  messagePath,
  pushPath,
  query,
  rotateKey,
  send,
  testEnv,
  type ConnectionFixture,
} from './support.ts';

const bearerOf = (conn: ConnectionFixture) => ({ authorization: `Bearer ${conn.token}`, 'x-tenant-id': conn.tenant });

async function pushed(conn: ConnectionFixture, body: unknown, query = '?table=orders'): Promise<string> {
  const response = await send(pushPath(conn.token, query), { headers: { 'x-tenant-id': conn.tenant }, json: body });
  expect(response.status).toBe(202);
  return ((await response.json()) as { message_id: string }).message_id;
}

async function webhook(conn: ConnectionFixture, stream: string, body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const response = await send(`/api/webhook/${stream}`, { headers: { authorization: `Bearer ${conn.token}`, ...headers }, json: body });
  expect(response.status).toBe(202);
  return ((await response.json()) as { message_id: string }).message_id;
}

async function statusOf(messageId: string, headers: Record<string, string>): Promise<MessageStatus> {
  const response = await send(messagePath(messageId), { method: 'GET', headers });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  // The answer is the contract the OpenAPI document publishes, exactly.
  return messageStatusSchema.parse(JSON.parse(text));
}

describe('message status: states', () => {
  it('queued, then processing once a processor holds it, with the tables it was accepted for', async () => {
    const conn = await createConnection();
    const id = await pushed(conn, { orders: [{ id: 1 }, { id: 2 }], refunds: [{ id: 9 }] }, '');
    const response = await send(messagePath(id), { method: 'GET', headers: bearerOf(conn) });
    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit-limit')).not.toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    const queued = messageStatusSchema.parse(await response.json());
    expect(queued).toMatchObject({
      message_id: id,
      state: 'queued',
      accepted: [
        { table: 'orders', rows: 2 },
        { table: 'refunds', rows: 1 },
      ],
      landed: null,
      landed_at: null,
      attempts: 0,
      dead: null,
    });
    expect(Date.parse(queued.received_at)).toBeGreaterThan(Date.now() - 60_000);

    expect(await claimMessages(conn.tenant)).toEqual({ claimed: 1 });
    expect(await statusOf(id, bearerOf(conn))).toMatchObject({ state: 'processing', attempts: 1, landed: null, dead: null });
  });

  it('landed: the tables and rows the processor landed, and when', async () => {
    const conn = await createConnection();
    const id = await webhook(conn, 'sales', [
      { region: 'North', sales: 142000 },
      { region: 'South', sales: 98000 },
    ]);
    expect(await landMessages(conn.tenant)).toEqual({ done: 1 });
    const landed = await statusOf(id, bearerOf(conn));
    expect(landed).toMatchObject({ state: 'landed', accepted: [{ table: 'sales', rows: 2 }], landed: [{ table: 'sales', rows: 2 }], attempts: 1, dead: null });
    expect(Date.parse(landed.landed_at!)).toBeGreaterThanOrEqual(Date.parse(landed.received_at));
    // In the receipt's key order, not jsonb's (which sorts keys by length).
    expect(JSON.stringify(landed.landed)).toBe(JSON.stringify(landed.accepted));
  });

  it('dead: the code and a reason without the payload value that killed it', async () => {
    const conn = await createConnection();
    // The item key column becomes bigint; a later item whose key is a string cannot be keyed, and the processor's
    // reason quotes the value (an e-mail address here).
    await webhook(conn, 'items', { sku: 1, name: 'first' }, { 'x-item-key': 'sku' });
    expect(await landMessages(conn.tenant)).toEqual({ done: 1 });
    const secret = 'jane.doe@example.com';
    const id = await webhook(conn, 'items', { sku: secret, name: 'second' }, { 'x-item-key': 'sku' });
    expect(await landMessages(conn.tenant)).toEqual({ done: 1, dead: 1 });
    const [letter] = await query<{ reason: string }>('SELECT reason FROM boitata_dead_letters WHERE message_id = $1', [id]);
    expect(letter?.reason).toContain(secret); // the stored reason has it: the answer must not

    const response = await send(messagePath(id), { method: 'GET', headers: bearerOf(conn) });
    const text = await response.text();
    expect(text).not.toContain(secret);
    expect(text).not.toContain('jane');
    const dead = messageStatusSchema.parse(JSON.parse(text));
    expect(dead).toMatchObject({
      state: 'dead',
      landed: null,
      landed_at: null,
      dead: { code: 'item_key_unusable', reason: expect.stringContaining('‹redacted›') },
    });
    expect(Date.parse(dead.dead!.dead_at)).toBeGreaterThanOrEqual(Date.parse(dead.received_at));
  });
});

describe('message status: credentials', () => {
  it('a metrics key reads what it sent', async () => {
    const key = await createKey('metrics');
    const headers = { authorization: `Bearer ${key.secret}` };
    const response = await send('/v1/ingest/metrics', { headers, json: { table: 'm', rows: [{ date: '2026-06-12', metric_name: 'x', value: 1 }] } });
    const { message_id } = (await response.json()) as { message_id: string };
    expect(await statusOf(message_id, headers)).toMatchObject({ state: 'queued', accepted: [{ table: 'm', rows: 1 }] });
  });

  it("a source key reads its event, and after a rotation the successor reads its predecessor's", async () => {
    const key = await createKey('source', { sourceId: 'src_status' });
    const event = { event_type: 'payment.failed', source_id: 'src_status', payload: { amount: 1 } };
    const response = await send('/v1/events/ingest', { headers: { 'x-api-key': key.secret }, json: event });
    const { message_id } = (await response.json()) as { message_id: string };
    expect(await statusOf(message_id, { 'x-api-key': key.secret })).toMatchObject({ state: 'queued', accepted: [{ table: 'events', rows: 1 }] });

    const successor = await rotateKey(key.id, 3600);
    expect(await statusOf(message_id, { 'x-api-key': successor.secret })).toMatchObject({ message_id, state: 'queued' });
  });

  it('refuses a read without the right credential with the usual 401', async () => {
    const conn = await createConnection();
    const id = await pushed(conn, [{ id: 1 }]);
    const refusals = [
      {},
      { authorization: `Bearer ${conn.token}` }, // an ingest token needs x-tenant-id here
      { authorization: `Bearer ${conn.token}`, 'x-tenant-id': 'someone-else' },
      { authorization: `Bearer ${conn.token.slice(0, -4)}AAAA`, 'x-tenant-id': conn.tenant },
      { 'x-api-key': conn.token },
      { authorization: `Bearer ${conn.token}`, 'x-tenant-id': conn.tenant, 'x-api-key': 'bt_sk_' + 'a'.repeat(43) }, // two credentials
    ];
    for (const headers of refusals) {
      const response = await send(messagePath(id), { method: 'GET', headers });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });
});

describe('message status: what a credential may not see', () => {
  it("another tenant's, another credential's, an unknown, a malformed and a pruned id get the same 404", async () => {
    const conn = await createConnection();
    const sameTenant = await createConnection({ tenant: conn.tenant });
    const otherTenant = await createConnection();
    const metrics = await createKey('metrics', { tenant: conn.tenant });
    const mine = await pushed(conn, [{ id: 1 }]);
    const sibling = await pushed(sameTenant, [{ id: 2 }]);
    const foreign = await pushed(otherTenant, [{ id: 3 }]);
    const metricsResponse = await send('/v1/ingest/metrics', {
      headers: { authorization: `Bearer ${metrics.secret}` },
      json: { table: 'm', rows: [{ date: '2026-06-12', metric_name: 'x', value: 1 }] },
    });
    const metricsMessage = ((await metricsResponse.json()) as { message_id: string }).message_id;
    const pruned = await pushed(conn, [{ id: 4 }]);
    // What the processor's retention does to an old landed message (maintenance.ts): the row is gone.
    await query('DELETE FROM boitata_inbound_queue WHERE message_id = $1', [pruned]);

    const bodies = new Set<string>();
    for (const id of [sibling, foreign, metricsMessage, crypto.randomUUID(), 'not-a-message-id', mine.toUpperCase().replace(/-/g, ''), pruned]) {
      const response = await send(messagePath(id), { method: 'GET', headers: bearerOf(conn) });
      expect(response.status, id).toBe(404);
      expect(response.headers.get('ratelimit-limit'), id).not.toBeNull();
      bodies.add(await response.text());
    }
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0]!)).toMatchObject({ error: { code: 'not_found' } });
    // The sibling connection and the metrics key each see their own.
    expect(await statusOf(sibling, bearerOf(sameTenant))).toMatchObject({ message_id: sibling });
    expect(await statusOf(metricsMessage, { authorization: `Bearer ${metrics.secret}` })).toMatchObject({ message_id: metricsMessage });
    expect(await statusOf(mine, bearerOf(conn))).toMatchObject({ message_id: mine });
  });

  it('405 for another method', async () => {
    const response = await send(messagePath(crypto.randomUUID()), { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });
});

describe('message status: limits and failures', () => {
  it("reads count against the credential's rate limit", async () => {
    const conn = await createConnection({ rateLimitPerMinute: 3 });
    const id = await pushed(conn, [{ id: 1 }]);
    const read = () => send(messagePath(id), { method: 'GET', headers: bearerOf(conn) });
    expect((await read()).status).toBe(200);
    expect((await read()).status).toBe(200);
    const limited = await read();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // And the push shares the bucket the reads emptied.
    const push = await send(pushPath(conn.token, '?table=orders'), { headers: { 'x-tenant-id': conn.tenant }, json: [{ id: 2 }] });
    expect(push.status).toBe(429);
  });

  it('503 database_unavailable with Retry-After when Postgres cannot be reached', async () => {
    const conn = await createConnection();
    const id = await pushed(conn, [{ id: 1 }]);
    const gate = testEnv.GATE.get(testEnv.GATE.idFromName(`ingest:${await sha256Hex(conn.token)}`));
    await runInDurableObject(gate, (instance: CredentialGate) =>
      instance.reconfigure({ databaseUrl: testEnv.UNREACHABLE_DATABASE_URL, databaseDeadlineMs: 2_000 }),
    );
    const started = Date.now();
    const response = await send(messagePath(id), { method: 'GET', headers: bearerOf(conn) });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');
    expect(Date.now() - started).toBeLessThan(2_000 + 2_500);
  });
});
