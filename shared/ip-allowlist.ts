// IP allowlists: IPv4 and IPv6 CIDR ranges matched against CF-Connecting-IP, with IPv4-mapped IPv6 (only) folded to IPv4.
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

export interface IpAllowlist {
  /** True when the list is empty (everyone may push) or `clientIp` is inside one of its ranges. */
  allows(clientIp: string | null): boolean;
}

export function compileAllowlist(cidrs: readonly string[]): IpAllowlist {
  const ranges = cidrs.map(parseRange);
  if (ranges.length === 0) return { allows: () => true };
  return {
    allows(clientIp) {
      const address = clientIp === null ? null : normalizeIp(clientIp);
      if (address === null) return false;
      return ranges.some(([base, bits]) => address.kind() === base.kind() && address.match(base, bits));
    },
  };
}

/**
 * Parses an address in any form ipaddr.js accepts (zero-compressed, mapped, ...) to one canonical kind: an
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) becomes IPv4, every other IPv6 address stays IPv6.
 */
export function normalizeIp(text: string): Address | null {
  // A zone index ("fe80::1%eth0") names a local interface: never a real client address.
  if (text.includes('%')) return null;
  const trimmed = withHexIpv4Tail(text.trim());
  if (trimmed === null || !ipaddr.isValid(trimmed)) return null;
  return ipaddr.process(trimmed);
}

/**
 * Rewrites a dotted IPv4 tail of an IPv6 text as two hex groups (`::203.0.113.9` → `::cb00:7109`); null when the
 * tail is not four decimal octets. ipaddr.js reads the deprecated IPv4-compatible `::a.b.c.d` as the mapped
 * `::ffff:a.b.c.d`, which would let that spelling of an IPv6 address match an IPv4 range while `::cb00:7109`, the
 * same address, does not. IPv4 texts pass unchanged.
 */
export function withHexIpv4Tail(text: string): string | null {
  if (!text.includes(':') || !text.includes('.')) return text;
  const match = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (match === null) return null;
  const octets = match.slice(2).map(Number);
  if (octets.some((octet) => octet > 255)) return null;
  const group = (high: number, low: number) => ((high << 8) | low).toString(16);
  return `${match[1]}${group(octets[0]!, octets[1]!)}:${group(octets[2]!, octets[3]!)}`;
}

function parseRange(cidr: string): Range {
  const slash = cidr.lastIndexOf('/');
  const address = withHexIpv4Tail(slash < 0 ? cidr : cidr.slice(0, slash));
  if (address === null) throw new Error(`not an IP range: ${JSON.stringify(cidr)}`);
  const [base, bits] = ipaddr.parseCIDR(`${address}${slash < 0 ? '' : cidr.slice(slash)}`);
  return foldMappedRange(base, bits);
}

function foldMappedRange(address: Address, bits: number): Range {
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress() && bits >= 96) return [v6.toIPv4Address(), bits - 96];
  }
  return [address, bits];
}
