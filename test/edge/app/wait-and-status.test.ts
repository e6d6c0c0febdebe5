// `Prefer: wait` and the message status route through createApp(deps).request() with the in-memory gate: which gate
// calls each costs, and what the sender is answered.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../edge/app.ts';
import { InMemoryGateDirectory } from './in-memory-gate.ts';
import { InMemoryQueueWriter } from './in-memory-queue-writer.ts';

const TENANT = 'tenant-a';
const TOKEN = `bt_ik_${'w'.repeat(43)}`;

async function appWithConnection() {
  const writer = new InMemoryQueueWriter();
  const gates = new InMemoryGateDirectory(writer);
  const gate = await gates.add({ kind: 'ingest', tenantId: TENANT, secret: TOKEN });
  return { app: createApp({ gates }), gate, writer };
}

type App = ReturnType<typeof createApp>;

const push = (app: App, headers: Record<string, string> = {}) =>
  app.request(`/v1/ingest/push/${TOKEN}?table=orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant-id': TENANT, ...headers },
    body: '[{"id":1}]',
  });

describe('Prefer: wait through createApp', () => {
  it('costs no extra gate call without the preference, or with wait=0', async () => {
    const { app, gate } = await appWithConnection();
    const plain = await push(app);
    expect(plain.status).toBe(202);
    expect(plain.headers.get('preference-applied')).toBeNull();
    const zero = await push(app, { prefer: 'wait=0' });
    expect(zero.status).toBe(202);
    expect(zero.headers.get('preference-applied')).toBe('wait=0');
    expect(gate.methods).toEqual(['admitAndEnqueue', 'admitAndEnqueue']);
  });

  it('answers 200 with the landed receipt when the message lands during the wait', async () => {
    const { app, gate, writer } = await appWithConnection();
    const answer = push(app, { prefer: 'wait=5' });
    setTimeout(() => {
      const stored = writer.stored[0]!;
      writer.landings.set(stored.messageId, { landedAt: '2026-06-12T10:00:00.123Z', landed: [{ table: 'orders', rows: 1 }] });
    }, 50);
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=5');
    expect(await response.json()).toEqual({
      message_id: writer.stored[0]!.messageId,
      status: 'landed',
      tables: [{ table: 'orders', rows: 1 }],
      rows: 1,
      landed_at: '2026-06-12T10:00:00.123Z',
      landed: [{ table: 'orders', rows: 1 }],
    });
    expect(gate.methods).toEqual(['admitAndEnqueue', 'awaitLanding']);
  });

  it('answers the usual 202 with Preference-Applied when the wait runs out', async () => {
    const { app } = await appWithConnection();
    const response = await push(app, { prefer: 'wait=1' });
    expect(response.status).toBe(202);
    expect(response.headers.get('preference-applied')).toBe('wait=1');
    expect(await response.json()).toMatchObject({ status: 'queued' });
  });
});

describe('GET /v1/ingest/messages/{id} through createApp', () => {
  it('reads a message with the token and x-tenant-id, one gate call, and 404s any other id', async () => {
    const { app, gate, writer } = await appWithConnection();
    await push(app);
    const id = writer.stored[0]!.messageId;
    const read = (messageId: string, headers: Record<string, string>) => app.request(`/v1/ingest/messages/${messageId}`, { headers });
    const headers = { authorization: `Bearer ${TOKEN}`, 'x-tenant-id': TENANT };
    const found = await read(id, headers);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ message_id: id, state: 'queued', accepted: [{ table: 'orders', rows: 1 }] });
    const [unknown, malformed] = [await read(crypto.randomUUID(), headers), await read('nope', headers)];
    expect([unknown.status, malformed.status]).toEqual([404, 404]);
    expect(await unknown.text()).toBe(await malformed.text());
    expect((await read(id, { authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    expect(gate.methods).toEqual(['admitAndEnqueue', 'messageStatus', 'messageStatus', 'messageStatus']);
  });

  it('names the status endpoint in the 404 of an unknown path', async () => {
    const { app } = await appWithConnection();
    const response = await app.request('/v1/nope');
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('GET /v1/ingest/messages/{message_id}');
  });
});
