// Test helpers for NAT rewrite tests: a minimal IPv4 decode into PacketMeta (only the fields NAT reads),
// an RFC 1071 checksum written from the RFC (independent of src/wire/checksum.ts), the kernel's
// ip_decrease_ttl arithmetic, and small packet builders.

import { IpProto, L3, PacketMeta } from '../../../src/decode/meta.js';
import { Skb } from '../../../src/netfilter/skb.js';
import { fromHex } from '../../../src/util/bytes.js';

/** Fill a PacketMeta for the IPv4 packet `ip` (raw IP bytes, no link header). `caplen` may cut it short. */
export function metaFor(ip: Uint8Array, caplen = ip.length): PacketMeta {
  const m = new PacketMeta();
  m.data = ip;
  m.frameOff = 0;
  m.caplen = caplen;
  m.wirelen = ip.length;
  m.l3 = L3.IPV4;
  m.l3Off = 0;
  m.ipHdrLen = (ip[0]! & 15) * 4;
  m.ipTotalLen = (ip[2]! << 8) | ip[3]!;
  m.fragOffset = (((ip[6]! << 8) | ip[7]!) & 0x1fff) * 8;
  m.ipProto = ip[9]!;
  m.ipCsum = (ip[10]! << 8) | ip[11]!;
  m.saddr = ((ip[12]! << 24) | (ip[13]! << 16) | (ip[14]! << 8) | ip[15]!) >>> 0;
  m.daddr = ((ip[16]! << 24) | (ip[17]! << 16) | (ip[18]! << 8) | ip[19]!) >>> 0;
  const l4 = m.ipHdrLen;
  if (m.fragOffset === 0) {
    m.l4Off = l4;
    m.l4Len = m.ipTotalLen - l4;
    if (m.ipProto === IpProto.TCP || m.ipProto === IpProto.UDP) {
      m.sport = (ip[l4]! << 8) | ip[l4 + 1]!;
      m.dport = (ip[l4 + 2]! << 8) | ip[l4 + 3]!;
    } else if (m.ipProto === IpProto.ICMP) {
      m.icmpType = ip[l4]!;
      m.icmpCode = ip[l4 + 1]!;
      m.icmpId = (ip[l4 + 4]! << 8) | ip[l4 + 5]!;
    }
  }
  return m;
}

/** An Skb around `meta` attached to `ct` with `ctinfo`. */
export function skbOn(meta: PacketMeta, ct: number, ctinfo: number): Skb {
  const skb = new Skb(meta);
  skb.ct = ct;
  skb.ctInfo = ctinfo;
  return skb;
}

/** RFC 1071: one's-complement of the one's-complement sum of 16-bit words (odd byte padded with zero). */
export function rfc1071(bytes: Uint8Array, start = 0, end = bytes.length, extra = 0): number {
  let sum = extra;
  for (let i = start; i < end; i += 2) {
    sum += (bytes[i]! << 8) + (i + 1 < end ? bytes[i + 1]! : 0);
    sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Set the 16-bit big-endian field at `off` to the RFC 1071 checksum of [start, end) (field zeroed first). */
export function fillCsum(b: Uint8Array, off: number, start: number, end: number, extra = 0): void {
  b[off] = 0;
  b[off + 1] = 0;
  const c = rfc1071(b, start, end, extra);
  b[off] = c >>> 8;
  b[off + 1] = c & 0xff;
}

/** The IPv4 pseudo-header sum for TCP/UDP (addresses, protocol, L4 length). */
export function pseudo(ip: Uint8Array): number {
  const proto = ip[9]!;
  const hl = (ip[0]! & 15) * 4;
  const len = ((ip[2]! << 8) | ip[3]!) - hl;
  let s = proto + len;
  for (let i = 12; i < 20; i += 2) s += (ip[i]! << 8) | ip[i + 1]!;
  return s;
}

/**
 * include/net/ip.h ip_decrease_ttl as it runs on x86: the stored checksum read as a little-endian u32,
 * plus htons(0x0100), plus one when the result reaches 0xffff; then TTL - 1.
 */
export function decreaseTtl(ip: Uint8Array): void {
  let check = ip[10]! | (ip[11]! << 8);
  check += 0x0001;
  check = (check + (check >= 0xffff ? 1 : 0)) & 0xffff;
  ip[10] = check & 0xff;
  ip[11] = check >>> 8;
  ip[8] = ip[8]! - 1;
}

export const hex = fromHex;

/** Lower-case hex of bytes. */
export function toHexString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
