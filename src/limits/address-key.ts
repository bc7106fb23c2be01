import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a client address is counted under by the per-address limits: which addresses count as one client.
 *
 * - IPv4: the address itself (`203.0.113.7`).
 * - IPv6: its /64 network (`2001:db8:0:1::/64`). A /64 is the smallest network a provider hands a customer
 *   (a home line, a phone, a VPS often gets one or more), and every address inside it is theirs to use: keyed
 *   by the full address, one subscriber would have 2^64 fresh counters.
 * - IPv4-mapped IPv6 (`::ffff:203.0.113.7`, what a dual-stack socket reports for an IPv4 peer): the IPv4
 *   address, so that one client is one key whichever way the server listens.
 * - A port or brackets some proxies add (`203.0.113.7:5123`, `[2001:db8::1]:443`) are dropped first.
 * - Anything else (not an IP address at all) counts as itself.
 */
export function addressKey(address: string): string {
  const ip = withoutPort(address.trim());
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return address;
  const groups = ipv6Groups(ip);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1];
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address);
  return v4WithPort ? v4WithPort[1] : address;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 part read as two). */
function ipv6Groups(ip: string): number[] {
  const unzoned = ip.split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(unzoned);
  let text = unzoned;
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = unzoned.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const zeros = tail === undefined ? [] : Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}
