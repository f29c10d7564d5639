// Community ID v1 (github.com/corelight/community-id-spec), the flow identifier Zeek and Suricata share:
// SHA-1 over seed (16 bits), the ordered endpoint addresses, protocol, a zero pad byte and — for TCP, UDP,
// SCTP, ICMP and ICMPv6 — the ordered ports, base64 with a "1:" prefix. ICMP type/code become ports as
// Zeek maps them (request/reply counterparts; other types are one-way and never reordered). Reports only.

import { createHash } from 'node:crypto';
import { IpProto, L3, type PacketMeta } from '../decode/meta.js';

/** ICMPv4 types with a counterpart (Zeek ICMP4_counterpart): echo, router, timestamp, info, mask. */
const ICMP4_COUNTERPART = new Map<number, number>([
  [8, 0],
  [0, 8],
  [10, 9],
  [9, 10],
  [13, 14],
  [14, 13],
  [15, 16],
  [16, 15],
  [17, 18],
  [18, 17],
]);

/** ICMPv6 types with a counterpart (Zeek ICMP6_counterpart): echo, MLD, RS/RA, NS/NA, node info, HAAD. */
const ICMP6_COUNTERPART = new Map<number, number>([
  [128, 129],
  [129, 128],
  [130, 131],
  [131, 130],
  [133, 134],
  [134, 133],
  [135, 136],
  [136, 135],
  [139, 140],
  [140, 139],
  [144, 145],
  [145, 144],
]);

function usesPorts(proto: number): boolean {
  return proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP || proto === IpProto.ICMP || proto === IpProto.ICMPV6;
}

/** -1, 0, 1 comparing two equal-length byte strings as big-endian numbers. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/**
 * Community ID v1 of a flow. `saddr`/`daddr` are 4 or 16 bytes (network order). For TCP/UDP/SCTP pass the
 * ports; for ICMP (1) / ICMPv6 (58) pass the type as `sport` and the code as `dport`. Other protocols
 * ignore the ports. Returns "" when the input cannot be hashed (protocol outside 0-255, address sizes).
 */
export function communityIdV1(saddr: Uint8Array, daddr: Uint8Array, proto: number, sport: number, dport: number, seed = 0): string {
  if (!Number.isInteger(proto) || proto < 0 || proto > 255) return '';
  if ((saddr.length !== 4 && saddr.length !== 16) || daddr.length !== saddr.length) return '';
  let sp = sport & 0xffff;
  let dp = dport & 0xffff;
  let oneWay = false;
  if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) {
    const counterpart = (proto === IpProto.ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART).get(sp);
    if (counterpart === undefined) oneWay = true;
    else dp = counterpart;
  }
  let a = saddr;
  let b = daddr;
  const cmp = compareBytes(a, b);
  if (!oneWay && (cmp > 0 || (cmp === 0 && sp > dp))) {
    a = daddr;
    b = saddr;
    const t = sp;
    sp = dp;
    dp = t;
  }
  const withPorts = usesPorts(proto);
  const buf = new Uint8Array(2 + 2 * a.length + 2 + (withPorts ? 4 : 0));
  let o = 0;
  buf[o++] = (seed >>> 8) & 0xff;
  buf[o++] = seed & 0xff;
  buf.set(a, o);
  o += a.length;
  buf.set(b, o);
  o += b.length;
  buf[o++] = proto;
  buf[o++] = 0;
  if (withPorts) {
    buf[o++] = sp >>> 8;
    buf[o++] = sp & 0xff;
    buf[o++] = dp >>> 8;
    buf[o++] = dp & 0xff;
  }
  return '1:' + createHash('sha1').update(buf).digest('base64');
}

/**
 * Community ID of a decoded packet, or null when it has none: not IP, header not decoded, or a
 * port-carrying protocol whose transport header is absent (non-first fragment, truncation).
 */
export function communityIdOf(m: PacketMeta, seed = 0): string | null {
  let saddr: Uint8Array;
  let daddr: Uint8Array;
  if (m.l3 === L3.IPV4 && m.ipHdrLen !== 0) {
    saddr = u32Bytes(m.saddr);
    daddr = u32Bytes(m.daddr);
  } else if (m.l3 === L3.IPV6 && m.ipHdrLen !== 0) {
    saddr = m.data.slice(m.l3Off + 8, m.l3Off + 24);
    daddr = m.data.slice(m.l3Off + 24, m.l3Off + 40);
  } else {
    return null;
  }
  const proto = m.ipProto;
  if (!usesPorts(proto)) return communityIdV1(saddr, daddr, proto, 0, 0, seed);
  if (m.l4Off < 0) return null;
  if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) return communityIdV1(saddr, daddr, proto, m.icmpType, m.icmpCode, seed);
  return communityIdV1(saddr, daddr, proto, m.sport, m.dport, seed);
}

function u32Bytes(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}
