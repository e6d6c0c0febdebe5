// The ingestion flow through createApp(deps).request() with an in-memory gate and queue: which calls reach the gate
// (each one an RPC to a Durable Object in production), in what order, and what the sender is answered.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../edge/app.ts';
import { credentialDigest } from '../../../edge/auth/secrets.ts';
import { InMemoryGateDirectory, type FakeCredential } from './in-memory-gate.ts';
import { InMemoryQueueWriter } from './in-memory-queue-writer.ts';

const TENANT = 'tenant-a';
let serial = 0;

/** A well-formed secret of the kind, different on every call (43 base64url characters after the prefix). */
function newSecret(prefix: 'bt_ik_' | 'bt_mk_'): string {
  return `${prefix}${String(serial++).padStart(43, 'x')}`;
}

async function appWith(credential: Partial<FakeCredential> = {}) {
  const writer = new InMemoryQueueWriter();
  const gates = new InMemoryGateDirectory(writer);
  const secret = credential.secret ?? newSecret('bt_ik_');
  const gate = await gates.add({ kind: 'ingest', tenantId: TENANT, ...credential, secret });
  return { app: createApp({ gates }), gates, gate, writer, secret };
}

type App = ReturnType<typeof createApp>;

function push(app: App, secret: string, body: unknown, options: { query?: string; headers?: Record<string, string> } = {}) {
  return app.request(`/v1/ingest/push/${secret}${options.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant-id': TENANT, ...options.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function errorOf(response: Response): Promise<{ code: string; message: string; problems?: Array<{ path: string }> }> {
  return ((await response.json()) as { error: { code: string; message: string; problems?: Array<{ path: string }> } }).error;
}

describe('createApp: the fast path', () => {
  it('a push that names its table costs one call to the gate, which admits, enqueues and answers 202', async () => {
    const { app, gate, writer, secret } = await appWith({ defaultTable: 'crm_contacts' });
    const response = await push(app, secret, [{ id: 1 }], { query: '?table=orders' });
    expect(response.status).toBe(202);
    expect(response.headers.get('RateLimit-Remaining')).toBe('59');
    expect(await response.json()).toMatchObject({ status: 'queued', tables: [{ table: 'orders', rows: 1 }], rows: 1 });
    expect(gate.methods).toEqual(['admitAndEnqueue']);
    expect(writer.stored).toHaveLength(1);
    expect(writer.stored[0]).toMatchObject({ tenantId: TENANT, endpoint: 'push', payloadFormat: 'array', targetTable: 'orders', payload: '[{"id":1}]' });
  });

  it('a retried Idempotency-Key is answered from the gate, still in one call each', async () => {
    const { app, gate, writer, secret } = await appWith();
    const send = () => push(app, secret, { table: 'orders', rows: [{ id: 1 }] }, { headers: { 'idempotency-key': 'k-1' } });
    const first = await send();
    const second = await send();
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    expect(gate.methods).toEqual(['admitAndEnqueue', 'admitAndEnqueue']);
    expect(writer.stored).toHaveLength(1);
  });
});

describe("createApp: a push without a table waits for the connection's default table", () => {
  it('lands in the default table: admit, then enqueue, with the admission deadline carried over', async () => {
    const { app, gate, writer, secret } = await appWith({ defaultTable: 'crm_contacts' });
    const array = await push(app, secret, [{ id: 1 }]);
    const object = await push(app, secret, { id: 2, name: 'x' });
    expect([array.status, object.status]).toEqual([202, 202]);
    expect(array.headers.get('RateLimit-Limit')).toBe('60');
    expect(await array.json()).toMatchObject({ tables: [{ table: 'crm_contacts', rows: 1 }], rows: 1 });
    expect(gate.methods).toEqual(['admit', 'enqueue', 'admit', 'enqueue']);
    expect(writer.stored.map((m) => [m.payloadFormat, m.targetTable])).toEqual([
      ['array', 'crm_contacts'],
      ['object', 'crm_contacts'],
    ]);
    expect(gate.calls[1]!.message).toMatchObject({ tenantId: TENANT, deadlineAt: expect.any(Number) });
  });

  it('begins the Idempotency-Key at admission, so a retry is replayed without a second enqueue', async () => {
    const { app, gate, writer, secret } = await appWith({ defaultTable: 'crm_contacts' });
    const send = () => push(app, secret, [{ id: 1 }], { headers: { 'idempotency-key': 'k-2' } });
    const first = await send();
    const second = await send();
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    expect(gate.methods).toEqual(['admit', 'enqueue', 'admit']);
    expect(gate.calls[0]!.request?.idempotency).toEqual({ key: 'k-2', requestHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(writer.stored).toHaveLength(1);
  });

  it('the same key with another body is a 422, and nothing more is stored', async () => {
    const { app, gate, writer, secret } = await appWith({ defaultTable: 'crm_contacts' });
    const headers = { 'idempotency-key': 'k-3' };
    expect((await push(app, secret, [{ id: 1 }], { headers })).status).toBe(202);
    const reused = await push(app, secret, [{ id: 2 }], { headers });
    expect(reused.status).toBe(422);
    expect((await errorOf(reused)).code).toBe('idempotency_key_reused');
    expect(gate.methods).toEqual(['admit', 'enqueue', 'admit']);
    expect(writer.stored).toHaveLength(1);
  });
});

describe('createApp: the default-table path refuses what it cannot store', () => {
  it('without a default table: 400 after admission, with the rate-limit headers, and the key released', async () => {
    const { app, gate, writer, secret } = await appWith({ defaultTable: null });
    const response = await push(app, secret, [{ id: 1 }], { headers: { 'idempotency-key': 'k-4' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('RateLimit-Remaining')).toBe('59');
    const error = await errorOf(response);
    expect(error.code).toBe('ambiguous_payload');
    expect(error.message).toMatch(/\?table=/);
    expect(gate.methods).toEqual(['admit', 'release']);
    expect(gate.keys.has('k-4')).toBe(false);
    // The key is free again: the corrected request is stored, not told the key is in flight.
    const fixed = await push(app, secret, [{ id: 1 }], { query: '?table=orders', headers: { 'idempotency-key': 'k-4' } });
    expect(fixed.status).toBe(202);
    expect(writer.stored).toHaveLength(1);
  });

  it('without a key nothing is released: admission is the one call', async () => {
    const { app, gate, writer, secret } = await appWith();
    const response = await push(app, secret, { id: 1, name: 'x' });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('ambiguous_payload');
    expect(gate.methods).toEqual(['admit']);
    expect(writer.stored).toHaveLength(0);
  });

  it('the default table does not excuse a bad row: 400 naming it', async () => {
    const { app, gate, writer, secret } = await appWith({ defaultTable: 'crm_contacts' });
    const response = await push(app, secret, [{ id: 1 }, 2]);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('invalid_payload');
    expect(error.problems?.map((p) => p.path)).toEqual(['[1]']);
    expect(gate.methods).toEqual(['admit']);
    expect(writer.stored).toHaveLength(0);
  });

  it('?table= and x-target-table that disagree: 400 after admission, the key released', async () => {
    const { app, gate, secret } = await appWith({ defaultTable: 'crm_contacts' });
    const response = await push(app, secret, [{ id: 1 }], { query: '?table=a', headers: { 'x-target-table': 'b', 'idempotency-key': 'k-5' } });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/disagree/);
    expect(gate.methods).toEqual(['admit', 'release']);
  });

  it('an unknown token is a 401, not the body’s 400: admission comes first', async () => {
    const { app, gates, writer } = await appWith({ defaultTable: 'crm_contacts' });
    const stranger = newSecret('bt_ik_');
    const response = await push(app, stranger, [{ id: 1 }, 2]);
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe('unauthorized');
    expect(gates.gateFor('ingest', await credentialDigest(stranger)).methods).toEqual(['admit']);
    expect(writer.stored).toHaveLength(0);
  });

  it('a malformed token is a 401 that asks no gate', async () => {
    const { app, gates, secret } = await appWith();
    const response = await push(app, `${secret}!`, [{ id: 1 }]);
    expect(response.status).toBe(401);
    expect(gates.calls).toEqual([]);
  });

  it('a rate-limited connection: 429 with Retry-After, whatever the body', async () => {
    const { app, gate, secret } = await appWith({ defaultTable: 'crm_contacts' });
    gate.rejectAdmission = {
      kind: 'reject',
      code: 'rate_limited',
      message: 'Rate limit reached.',
      retryAfterSeconds: 7,
      rateLimit: { limit: 60, remaining: 0, resetSeconds: 7 },
    };
    const response = await push(app, secret, [{ id: 1 }, 2]);
    expect(response.status).toBe(429);
    expect(response.headers.get('Retry-After')).toBe('7');
    expect(response.headers.get('RateLimit-Remaining')).toBe('0');
    expect(gate.methods).toEqual(['admit']);
  });

  it('Postgres down at the enqueue: 503 with Retry-After, the key released for the retry', async () => {
    const { app, gate, writer, secret } = await appWith({ defaultTable: 'crm_contacts' });
    writer.failure = new Error('connection refused');
    const response = await push(app, secret, [{ id: 1 }], { headers: { 'idempotency-key': 'k-6' } });
    expect(response.status).toBe(503);
    expect(response.headers.get('Retry-After')).toBe('5');
    expect((await errorOf(response)).code).toBe('database_unavailable');
    expect(gate.methods).toEqual(['admit', 'enqueue']);
    expect(gate.keys.has('k-6')).toBe(false);
    writer.failure = undefined;
    expect((await push(app, secret, [{ id: 1 }], { headers: { 'idempotency-key': 'k-6' } })).status).toBe(202);
  });

  it('a body that is not JSON: 400 after admission, and no key begun for it', async () => {
    const { app, gate, secret } = await appWith({ defaultTable: 'crm_contacts' });
    const response = await push(app, secret, '[{"id": 1}', { headers: { 'idempotency-key': 'k-7' } });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('invalid_json');
    expect(gate.methods).toEqual(['admit']);
    expect(gate.calls[0]!.request?.idempotency).toBeUndefined();
  });

  it('a connection that verifies signatures: the bytes already read go to the signed-delivery flow', async () => {
    const { app, gate, secret } = await appWith({ verifyPreset: 'hmac-sha256' });
    const response = await push(app, secret, [{ id: 1 }]);
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe('signature_invalid');
    expect(gate.methods).toEqual(['admit', 'admit']);
    expect(new TextDecoder().decode(gate.calls[1]!.request?.signature?.body)).toBe('[{"id":1}]');
  });
});

describe('createApp: a refused body on the other endpoints', () => {
  it('a metrics body that breaks its contract: 400 after admission, its Idempotency-Key never begun', async () => {
    const secret = newSecret('bt_mk_');
    const { app, gate, writer } = await appWith({ kind: 'metrics', secret });
    const response = await app.request('/v1/ingest/metrics', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}`, 'idempotency-key': 'k-8' },
      body: JSON.stringify({ table: 'cpu', rows: 'not rows' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('RateLimit-Limit')).toBe('60');
    expect((await errorOf(response)).code).toBe('invalid_payload');
    expect(gate.methods).toEqual(['admit']);
    expect(gate.calls[0]!.request?.idempotency).toBeUndefined();
    expect(writer.stored).toHaveLength(0);
  });
});
