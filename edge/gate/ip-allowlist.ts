// IP allowlists: IPv4 and IPv6 CIDR ranges matched against CF-Connecting-IP, with IPv4-mapped IPv6 folded to IPv4.
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

/** Parses an address in any form ipaddr.js accepts (zero-compressed, mapped, ...) to one canonical kind. */
export function normalizeIp(text: string): Address | null {
  const trimmed = text.trim();
  if (!ipaddr.isValid(trimmed)) return null;
  // A zone index ("fe80::1%eth0") names a local interface: never a real client address.
  if (trimmed.includes('%')) return null;
  return ipaddr.process(trimmed);
}

function parseRange(cidr: string): Range {
  const [address, bits] = ipaddr.parseCIDR(cidr);
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress() && bits >= 96) return [v6.toIPv4Address(), bits - 96];
  }
  return [address, bits];
}
