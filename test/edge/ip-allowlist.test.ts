// IP allowlists: IPv4 and IPv6 ranges, checked against CF-Connecting-IP only, non-canonical forms normalized.
import { describe, expect, it } from 'vitest';
import { createConnection, pushPath, send, type ConnectionFixture } from './support.ts';

const pushFrom = (conn: ConnectionFixture, headers: Record<string, string>) =>
  send(pushPath(conn.token, '?table=t'), { headers: { 'x-tenant-id': conn.tenant, ...headers }, json: [{ a: 1 }] });

describe('IP allowlist', () => {
  it('allows IPv4 inside the range and refuses outside it with 403', async () => {
    const conn = await createConnection({ allowedIps: ['203.0.113.0/24'] });
    expect((await pushFrom(conn, { 'cf-connecting-ip': '203.0.113.9' })).status).toBe(202);
    const denied = await pushFrom(conn, { 'cf-connecting-ip': '198.51.100.7' });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('ip_not_allowed');
  });

  it('allows IPv6 inside the range, in any textual form, and refuses outside it', async () => {
    const conn = await createConnection({ allowedIps: ['2001:db8:abcd::/48'] });
    expect((await pushFrom(conn, { 'cf-connecting-ip': '2001:db8:abcd:12::1' })).status).toBe(202);
    expect((await pushFrom(conn, { 'cf-connecting-ip': '2001:0DB8:ABCD:0012:0000:0000:0000:0001' })).status).toBe(202);
    expect((await pushFrom(conn, { 'cf-connecting-ip': '2001:db8:abce::1' })).status).toBe(403);
  });

  it('matches IPv4-mapped IPv6 addresses against IPv4 ranges, both ways', async () => {
    const v4Range = await createConnection({ allowedIps: ['192.0.2.0/24'] });
    expect((await pushFrom(v4Range, { 'cf-connecting-ip': '::ffff:192.0.2.10' })).status).toBe(202);
    expect((await pushFrom(v4Range, { 'cf-connecting-ip': '0:0:0:0:0:ffff:c000:020a' })).status).toBe(202);
    expect((await pushFrom(v4Range, { 'cf-connecting-ip': '::ffff:192.0.3.10' })).status).toBe(403);

    const mappedRange = await createConnection({ allowedIps: ['::ffff:198.51.100.0/120'] });
    expect((await pushFrom(mappedRange, { 'cf-connecting-ip': '198.51.100.200' })).status).toBe(202);
  });

  it('never trusts X-Forwarded-For, and refuses a request with no CF-Connecting-IP', async () => {
    const conn = await createConnection({ allowedIps: ['203.0.113.0/24'] });
    expect((await pushFrom(conn, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(403);
    expect((await pushFrom(conn, { 'cf-connecting-ip': '198.51.100.7', 'x-forwarded-for': '203.0.113.9' })).status).toBe(403);
    expect((await pushFrom(conn, { 'cf-connecting-ip': 'not-an-ip' })).status).toBe(403);
  });

  it('does not fold the IPv4-compatible ::a.b.c.d into IPv4: neither spelling of that IPv6 address passes an IPv4 range', async () => {
    const conn = await createConnection({ allowedIps: ['203.0.113.0/24'] });
    expect((await pushFrom(conn, { 'cf-connecting-ip': '::203.0.113.9' })).status).toBe(403);
    expect((await pushFrom(conn, { 'cf-connecting-ip': '::cb00:7109' })).status).toBe(403);
    expect((await pushFrom(conn, { 'cf-connecting-ip': '::ffff:203.0.113.9' })).status).toBe(202);
  });

  it('lets every address through when the connection has no allowlist', async () => {
    const conn = await createConnection();
    expect((await pushFrom(conn, { 'cf-connecting-ip': '198.51.100.7' })).status).toBe(202);
    expect((await pushFrom(conn, {})).status).toBe(202);
  });
});
