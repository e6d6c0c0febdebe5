// IP normalization and CIDR matching, including the forms senders' proxies produce.
import { describe, expect, it } from 'vitest';
import { compileAllowlist, normalizeIp } from '../../shared/ip-allowlist.ts';
import { normalizeCidr } from '../../cli/normalize-cidr.ts';

describe('IP allowlist', () => {
  const list = compileAllowlist(['10.0.0.0/8', '2001:db8::/32', '::ffff:192.0.2.0/120']);
  const cases: Array<[string | null, boolean]> = [
    ['10.1.2.3', true],
    ['11.0.0.1', false],
    ['::ffff:10.9.9.9', true],
    ['::FFFF:0a09:0909', true],
    ['192.0.2.77', true],
    ['192.0.3.77', false],
    ['2001:db8:0:0:0:0:0:1', true],
    ['2001:DB8::1', true],
    ['2001:db9::1', false],
    ['fe80::1%eth0', false],
    ['garbage', false],
    ['', false],
    [null, false],
  ];
  for (const [ip, allowed] of cases) {
    it(`${allowed ? 'allows' : 'refuses'} ${JSON.stringify(ip)}`, () => expect(list.allows(ip)).toBe(allowed));
  }

  it('an empty list allows everyone, even without an address', () => {
    expect(compileAllowlist([]).allows(null)).toBe(true);
  });

  it('folds IPv4-mapped IPv6 into IPv4', () => {
    expect(normalizeIp('::ffff:1.2.3.4')?.toString()).toBe('1.2.3.4');
  });

  it('does not fold the deprecated IPv4-compatible ::a.b.c.d: both its spellings are the same IPv6 address', () => {
    expect(normalizeIp('::203.0.113.9')?.toString()).toBe('::cb00:7109');
    expect(normalizeIp('::cb00:7109')?.toString()).toBe('::cb00:7109');
    expect(normalizeIp('::ffff:cb00:7109')?.toString()).toBe('203.0.113.9');
    expect(normalizeIp('::1.2.3.256')).toBeNull();

    const v4 = compileAllowlist(['203.0.113.0/24']);
    expect(v4.allows('::203.0.113.9')).toBe(false);
    expect(v4.allows('::cb00:7109')).toBe(false);
    expect(v4.allows('::ffff:203.0.113.9')).toBe(true);
    expect(v4.allows('203.0.113.9')).toBe(true);

    // An IPv6 range written with a dotted tail is an IPv6 range too: it neither matches nor widens to IPv4.
    const v6 = compileAllowlist(['::203.0.113.0/120']);
    expect(v6.allows('::203.0.113.9')).toBe(true);
    expect(v6.allows('::cb00:7109')).toBe(true);
    expect(v6.allows('203.0.113.9')).toBe(false);
  });

  it('stores ranges in canonical network form', () => {
    expect(normalizeCidr('10.0.0.1/8')).toBe('10.0.0.0/8');
    expect(normalizeCidr('203.0.113.9')).toBe('203.0.113.9/32');
    expect(normalizeCidr('::ffff:192.168.0.0/112')).toBe('192.168.0.0/16');
    expect(normalizeCidr('2001:DB8:0::1/48')).toBe('2001:db8::/48');
    // The IPv4-compatible spelling is an IPv6 range: an operator typing it never allows the IPv4 /24.
    expect(normalizeCidr('::203.0.113.0/120')).toBe('::cb00:7100/120');
    expect(normalizeCidr('::203.0.113.9')).toBe('::cb00:7109/128');
    expect(() => normalizeCidr('10.0.0.0/33')).toThrow(/not an IPv4\/IPv6/);
  });
});
