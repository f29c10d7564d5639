// Names for the inspect report: IP protocol numbers (IANA keywords, lower case, as /etc/protocols spells
// them) and timestamp resolutions. Report-only helpers; nothing here runs per packet.

const IP_PROTO_NAMES = new Map<number, string>([
  [0, 'hopopt'],
  [1, 'icmp'],
  [2, 'igmp'],
  [4, 'ipip'],
  [6, 'tcp'],
  [17, 'udp'],
  [41, 'ipv6'],
  [43, 'ipv6-route'],
  [44, 'ipv6-frag'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'ipv6-icmp'],
  [59, 'ipv6-nonxt'],
  [60, 'ipv6-opts'],
  [89, 'ospf'],
  [103, 'pim'],
  [112, 'vrrp'],
  [132, 'sctp'],
  [135, 'mobility-header'],
  [136, 'udplite'],
]);

/** "tcp", "udp", ... or the number as a string. */
export function ipProtoName(proto: number): string {
  return IP_PROTO_NAMES.get(proto) ?? String(proto);
}

/** "µs", "ns", "ms", "s", or "1/<n> s" for a pcapng if_tsresol that is not a power of 1000. */
export function tsResolutionName(unitsPerSec: number): string {
  if (unitsPerSec === 1) return 's';
  if (unitsPerSec === 1e3) return 'ms';
  if (unitsPerSec === 1e6) return 'µs';
  if (unitsPerSec === 1e9) return 'ns';
  return `1/${unitsPerSec} s`;
}
