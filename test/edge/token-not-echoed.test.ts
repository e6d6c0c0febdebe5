// No answer repeats a path segment that may be a token: 404s for mistyped push URLs say only what exists.
import { describe, expect, it } from 'vitest';
import { createConnection, send } from './support.ts';

describe('answers never echo a token from the URL', () => {
  it('404 bodies for push-URL variants carry no part of the token, and list the endpoints', async () => {
    const { token } = await createConnection();
    const secretPart = token.slice(6);
    const variants = [
      `/v1//ingest/push/${token}`,
      `/V1/INGEST/PUSH/${token}`,
      `/v1/Ingest/Push/${token}`,
      `/v2/ingest/push/${token}`,
      `/v1/ingest/push/${token}/`,
      `/v1/ingest/push/${token}/extra`,
      `/v1/ingest/push//${token}`,
      `/${token}`,
      `/api/webhook/${token}/x`,
      `/v1/ingest/push%2F${token}`,
    ];
    for (const path of variants) {
      for (const method of ['POST', 'GET', 'PUT']) {
        const response = await send(path, { method, ...(method === 'GET' ? {} : { json: [{ a: 1 }] }) });
        const body = await response.text();
        expect(response.status, `${method} ${path}`).toBe(404);
        // Any 8 consecutive characters of the secret would already narrow a brute force.
        for (let i = 0; i + 8 <= secretPart.length; i += 4) expect(body, `${method} ${path}`).not.toContain(secretPart.slice(i, i + 8));
        const error = (JSON.parse(body) as { error: { code: string; message: string } }).error;
        expect(error.code).toBe('not_found');
        expect(error.message).toContain('POST /v1/ingest/push/{ingestToken}');
      }
    }
  });

  it('a wrong method on the push path answers 405 without the token', async () => {
    const { token } = await createConnection();
    const response = await send(`/v1/ingest/push/${token}`, { method: 'GET' });
    expect(response.status).toBe(405);
    expect(await response.text()).not.toContain(token.slice(6, 20));
  });
});
