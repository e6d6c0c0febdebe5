// A connection's allowed address, as the operator writes it (an address or a range, IPv4 or IPv6), in the one
// canonical network form the edge's allowlist compares against.
import ipaddr from 'ipaddr.js';
import { withHexIpv4Tail } from '../shared/ip-allowlist.ts';
import { ProvisionError } from './provision-error.ts';

/** Accepts an address or a CIDR range, IPv4 or IPv6, and returns its canonical network form. */
export function normalizeCidr(input: string): string {
  // `::a.b.c.d` is an IPv6 address, not the IPv4 one: spelled as hex groups, ipaddr.js cannot fold it into IPv4.
  const raw = input.trim();
  const slash = raw.indexOf('/');
  const head = withHexIpv4Tail(slash < 0 ? raw : raw.slice(0, slash));
  const text = head === null ? raw : `${head}${slash < 0 ? '' : raw.slice(slash)}`;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let bits: number;
  try {
    if (text.includes('/')) [address, bits] = ipaddr.parseCIDR(text);
    else {
      address = ipaddr.parse(text);
      bits = address.kind() === 'ipv4' ? 32 : 128;
    }
  } catch {
    throw new ProvisionError(`--allowed-ips: ${JSON.stringify(input)} is not an IPv4/IPv6 address or CIDR range`);
  }
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    address = (address as ipaddr.IPv6).toIPv4Address();
    bits -= 96;
  }
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}
