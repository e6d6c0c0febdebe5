// The admin API's door, over a real HTTP server on a free port: the token (none configured, missing, wrong, right),
// `requested_by` on every POST, the body's type, size and syntax, unknown paths and methods — each a 4xx saying what
// to fix, the handler reached only when everything holds.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminInputError, createAdminRouter, MAX_ADMIN_BODY_BYTES, type AdminRequest } from '../../../processor/admin/admin-router.ts';

const TOKEN = 'admin-token-0123456789';
const seen: AdminRequest[] = [];

function serve(adminToken: string | undefined): Promise<{ server: Server; url: string }> {
  const handle = createAdminRouter({
    adminToken,
    routes: [
      {
        method: 'POST',
        path: /^\/admin\/things$/,
        describe: '/admin/things: make a thing',
        handle: async (request) => {
          seen.push(request);
          if ((request.body as { bad?: boolean }).bad === true) throw new AdminInputError(400, 'bad_thing', 'the thing is bad');
          return { status: 201, body: { ok: true, by: request.requestedBy } };
        },
      },
      { method: 'GET', path: /^\/admin\/things\/([^/]+)$/, describe: '/admin/things/{id}', handle: async (r) => ({ status: 200, body: { id: r.params[0] } }) },
    ],
  });
  const server = createServer((request, response) => void handle(request, response, new URL(request.url ?? '/', 'http://x')));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

let enabled: { server: Server; url: string };
let disabled: { server: Server; url: string };
beforeAll(async () => {
  enabled = await serve(TOKEN);
  disabled = await serve(undefined);
});
afterAll(() => {
  enabled.server.close();
  disabled.server.close();
});

const post = (base: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/admin/things`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers }, body });

describe('admin router', () => {
  it('reaches the handler with the token and requested_by, and gives it the path captures', async () => {
    const created = await post(enabled.url, JSON.stringify({ requested_by: ' DPO-1 ' }));
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ ok: true, by: 'DPO-1' });
    const got = await fetch(`${enabled.url}/admin/things/a%20b`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await got.json()).toEqual({ id: 'a b' });
  });

  it.each([
    ['no token configured', () => post(disabled.url, '{"requested_by":"x"}'), 403, 'admin_disabled'],
    ['no Authorization', () => post(enabled.url, '{"requested_by":"x"}', { authorization: '' }), 401, 'unauthorized'],
    ['a wrong token', () => post(enabled.url, '{"requested_by":"x"}', { authorization: 'Bearer wrong-token-0123456789' }), 401, 'unauthorized'],
    ['no requested_by', () => post(enabled.url, '{}'), 400, 'requested_by_required'],
    ['a blank requested_by', () => post(enabled.url, '{"requested_by":"  "}'), 400, 'requested_by_required'],
    ['requested_by too long', () => post(enabled.url, JSON.stringify({ requested_by: 'x'.repeat(501) })), 400, 'requested_by_too_long'],
    ['not JSON', () => post(enabled.url, '{"requested_by":', {}), 400, 'invalid_json'],
    [
      'a malformed percent-encoding',
      () => fetch(`${enabled.url}/admin/things/%E0%A4%A`, { headers: { authorization: `Bearer ${TOKEN}` } }),
      400,
      'invalid_path',
    ],
    ['another content type', () => post(enabled.url, 'requested_by=x', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
    ['a body too large', () => post(enabled.url, JSON.stringify({ requested_by: 'x', pad: 'y'.repeat(MAX_ADMIN_BODY_BYTES) })), 413, 'body_too_large'],
    ['a handler refusal', () => post(enabled.url, '{"requested_by":"x","bad":true}'), 400, 'bad_thing'],
    ['an unknown path', () => fetch(`${enabled.url}/admin/nothing`, { headers: { authorization: `Bearer ${TOKEN}` } }), 404, 'not_found'],
    ['a wrong method', () => fetch(`${enabled.url}/admin/things`, { headers: { authorization: `Bearer ${TOKEN}` } }), 405, 'method_not_allowed'],
  ])('%s', async (_name, send, status, code) => {
    const before = seen.length;
    const response = await send();
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toBe(code);
    if (code !== 'bad_thing') expect(seen.length).toBe(before);
  });

  it('never quotes a body it cannot parse (it may hold personal data)', async () => {
    const response = await post(enabled.url, '{"requested_by":"x","value":ana@example.com}');
    expect(response.status).toBe(400);
    expect(await response.text()).not.toContain('ana@');
  });

  it('lists its routes at /admin without a token, saying whether admin is enabled', async () => {
    const listed = (await (await fetch(`${disabled.url}/admin`)).json()) as { routes: string[]; admin_enabled: boolean };
    expect(listed).toEqual({ routes: ['POST /admin/things: make a thing', 'GET /admin/things/{id}'], admin_enabled: false });
  });
});
