// A client generated from the OpenAPI document (openapi-typescript types + openapi-fetch, test/edge/generated/) sends
// requests to the real Worker in workerd: what the document says is what a sender's generated code can do.
import { exports } from 'cloudflare:workers';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import type { paths } from './generated/boitata-api.ts';
import { createConnection, landMessages, queueRows } from './support.ts';

const worker = (exports as unknown as { default: Fetcher }).default;
const client = createClient<paths>({ baseUrl: 'https://edge.test', fetch: (request) => worker.fetch(request) });

describe('a generated client against the real Worker', () => {
  it('pushes rows: 202 with the typed receipt, stored in the queue as sent', async () => {
    const conn = await createConnection();
    const { data, error, response } = await client.POST('/v1/ingest/push/{ingestToken}', {
      params: { path: { ingestToken: conn.token }, query: { table: 'orders' }, header: { 'x-tenant-id': conn.tenant, 'Idempotency-Key': 'client-1' } },
      body: [{ order_id: 1, total: 9.5 }],
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(202);
    expect(response.headers.get('RateLimit-Limit')).not.toBeNull();
    expect(data).toMatchObject({ status: 'queued', rows: 1, tables: [{ table: 'orders', rows: 1 }] });
    // The 200 of this operation may also be a provider's URL-verification answer: the type says so, the receipt narrows it.
    const messageId = data !== undefined && 'message_id' in data ? data.message_id : undefined;
    const stored = await queueRows(conn.tenant);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ message_id: messageId, target_table: 'orders', payload: [{ order_id: 1, total: 9.5 }], idempotency_key: 'client-1' });
  });

  it('reads a refusal as the typed ErrorBody', async () => {
    const conn = await createConnection();
    const { data, error, response } = await client.POST('/v1/ingest/push/{ingestToken}', {
      params: { path: { ingestToken: conn.token }, header: { 'x-tenant-id': conn.tenant } },
      body: { table: 'orders', rows: [] },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error?.error).toMatchObject({ code: 'empty_payload', problems: [{ path: 'rows', message: 'the array is empty' }] });
  });

  it("follows the message to its landing with the status endpoint, with the sender's credential", async () => {
    const conn = await createConnection();
    const pushed = await client.POST('/api/webhook/{stream}', {
      params: { path: { stream: 'sales' } },
      headers: { Authorization: `Bearer ${conn.token}` },
      body: { region: 'North', sales: 142000 },
    });
    expect(pushed.response.status).toBe(202);
    const messageId = pushed.data!.message_id;
    const status = () =>
      client.GET('/v1/ingest/messages/{message_id}', {
        params: { path: { message_id: messageId }, header: { 'x-tenant-id': conn.tenant } },
        headers: { Authorization: `Bearer ${conn.token}` },
      });
    expect((await status()).data).toMatchObject({ message_id: messageId, state: 'queued', accepted: [{ table: 'sales', rows: 1 }] });
    await landMessages(conn.tenant);
    expect((await status()).data).toMatchObject({ state: 'landed', landed_at: expect.any(String) });
  });

  it('is served the document it was generated from at GET /openapi.json', async () => {
    const { data, response } = await client.GET('/openapi.json');
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ openapi: '3.1.1', paths: { '/v1/ingest/push/{ingestToken}': { post: { operationId: 'push' } } } });
  });
});
